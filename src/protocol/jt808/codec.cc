#include "protocol/jt808/codec.h"

#include <algorithm>

#include "protocol/jt808/area.h"
#include "protocol/jt808/body_io.h"
#include "protocol/jt808/location.h"
#include "protocol/jt808/parameters.h"

namespace baotong::jt808 {
namespace {

// 0x0100 field widths per revision.
struct RegisterLayout {
  size_t maker;
  size_t model;
  size_t terminal_id;
  size_t FixedSize() const { return 2 + 2 + maker + model + terminal_id + 1; }
};
constexpr RegisterLayout kRegister2011{5, 8, 7};
constexpr RegisterLayout kRegister2013{5, 20, 7};
constexpr RegisterLayout kRegister2019{11, 30, 30};

RegisterLayout RegisterLayoutFor(Version version) {
  switch (version) {
    case Version::k2011:
      return kRegister2011;
    case Version::k2013:
      return kRegister2013;
    case Version::k2019:
      return kRegister2019;
  }
  return kRegister2013;
}

constexpr size_t kImeiSize = 15;
constexpr size_t kSoftwareVersionSize = 20;

template <typename T>
Result<Message> Wrap(Result<T>&& result) {
  if (!result)
    return tl::unexpected(result.error());
  return Message(std::move(*result));
}

Result<Message> RequireEmpty(ByteSpan body, Message message) {
  if (!body.empty())
    return Fail(ErrorCode::kLengthMismatch, "message must have an empty body");
  return message;
}

template <typename Reply>
Result<Message> DecodeGeneralReply(ByteSpan body) {
  if (body.size() != 5)
    return Fail(ErrorCode::kLengthMismatch, "general reply body is 5 bytes");
  ByteReader reader(body);
  Reply reply;
  reply.reply_serial = reader.U16();
  reply.reply_msg_id = reader.U16();
  reply.result = reader.U8();
  return Message(reply);
}

Result<Message> DecodeRegister(ByteSpan body, Version& version) {
  // 2011 and 2013 share a header; unless the caller knows the terminal speaks 2011, only the
  // body length tells them apart. A 2011 body with a plate or VIN of 12 bytes or more reads as
  // 2013, so a session that has seen the terminal's version should pass it in.
  if (version == Version::k2013 && body.size() < kRegister2013.FixedSize()) {
    version = Version::k2011;
  }
  const RegisterLayout layout = RegisterLayoutFor(version);
  if (body.size() < layout.FixedSize())
    return Fail(ErrorCode::kTruncated, "0x0100 too short");
  ByteReader reader(body);
  Register message;
  message.province_id = reader.U16();
  message.city_id = reader.U16();
  auto maker = detail::ReadFixedString(reader, layout.maker);
  auto model = detail::ReadFixedString(reader, layout.model);
  auto terminal_id = detail::ReadFixedString(reader, layout.terminal_id);
  message.plate_color = reader.U8();
  auto plate = detail::ReadRestString(reader);
  for (auto* text : {&maker, &model, &terminal_id, &plate}) {
    if (!*text)
      return tl::unexpected(text->error());
  }
  message.maker_id = std::move(*maker);
  message.terminal_model = std::move(*model);
  message.terminal_id = std::move(*terminal_id);
  message.plate = std::move(*plate);
  return Message(std::move(message));
}

Result<Message> DecodeRegisterReply(ByteSpan body) {
  ByteReader reader(body);
  RegisterReply reply;
  reply.reply_serial = reader.U16();
  reply.result = reader.U8();
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "0x8100 shorter than 3 bytes");
  auto code = detail::ReadRestString(reader);
  if (!code)
    return tl::unexpected(code.error());
  reply.auth_code = std::move(*code);
  return Message(std::move(reply));
}

Result<Message> DecodeAuth(ByteSpan body, Version version) {
  ByteReader reader(body);
  Auth auth;
  if (!Is2019(version)) {
    auto code = detail::ReadRestString(reader);
    if (!code)
      return tl::unexpected(code.error());
    auth.auth_code = std::move(*code);
    return Message(std::move(auth));
  }
  auto code = detail::ReadLengthPrefixedString(reader, 1);
  if (!code)
    return tl::unexpected(code.error());
  auto imei = detail::ReadFixedString(reader, kImeiSize);
  if (!imei)
    return tl::unexpected(imei.error());
  auto software = detail::ReadFixedString(reader, kSoftwareVersionSize);
  if (!software)
    return tl::unexpected(software.error());
  if (!reader.empty())
    return Fail(ErrorCode::kLengthMismatch, "bytes after the 2019 0x0102");
  auth.auth_code = std::move(*code);
  auth.imei = std::move(*imei);
  auth.software_version = std::move(*software);
  return Message(std::move(auth));
}

Result<Message> DecodeLocationQueryReply(ByteSpan body) {
  ByteReader reader(body);
  LocationQueryReply reply;
  reply.reply_serial = reader.U16();
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "0x0201 shorter than 2 bytes");
  if (auto read = ReadLocation(reader, /*with_items=*/true, reply.location); !read) {
    return tl::unexpected(read.error());
  }
  return Message(std::move(reply));
}

Result<Message> DecodeTemporaryTracking(ByteSpan body) {
  if (body.size() != 6)
    return Fail(ErrorCode::kLengthMismatch, "0x8202 body is 6 bytes");
  ByteReader reader(body);
  TemporaryTracking tracking;
  tracking.interval_s = reader.U16();
  tracking.validity_s = reader.U32();
  return Message(tracking);
}

Result<Message> DecodeTextMessage(ByteSpan body, Version version) {
  ByteReader reader(body);
  TextMessage text;
  text.flags = reader.U8();
  if (Is2019(version))
    text.text_type = reader.U8();
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "0x8300 ends before its text");
  auto content = detail::ReadRestString(reader);
  if (!content)
    return tl::unexpected(content.error());
  text.text = std::move(*content);
  return Message(std::move(text));
}

Result<Message> DecodeSetParameters(ByteSpan body) {
  ByteReader reader(body);
  uint8_t count = reader.U8();
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "0x8103 has no count");
  auto parameters = ReadParameters(reader, count);
  if (!parameters)
    return tl::unexpected(parameters.error());
  if (!reader.empty())
    return Fail(ErrorCode::kLengthMismatch, "bytes after the last parameter");
  return Message(SetParameters{std::move(*parameters)});
}

Result<Message> DecodeParametersReply(ByteSpan body) {
  ByteReader reader(body);
  ParametersReply reply;
  reply.reply_serial = reader.U16();
  uint8_t count = reader.U8();
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "0x0104 shorter than 3 bytes");
  auto parameters = ReadParameters(reader, count);
  if (!parameters)
    return tl::unexpected(parameters.error());
  if (!reader.empty())
    return Fail(ErrorCode::kLengthMismatch, "bytes after the last parameter");
  reply.parameters = std::move(*parameters);
  return Message(std::move(reply));
}

MultimediaEvent ReadMultimediaEvent(ByteReader& reader) {
  MultimediaEvent event;
  event.media_id = reader.U32();
  event.media_type = reader.U8();
  event.format = reader.U8();
  event.event = reader.U8();
  event.channel = reader.U8();
  return event;
}

void WriteMultimediaEvent(const MultimediaEvent& event, ByteWriter& writer) {
  writer.U32(event.media_id);
  writer.U8(event.media_type);
  writer.U8(event.format);
  writer.U8(event.event);
  writer.U8(event.channel);
}

Result<Message> DecodeMultimediaEvent(ByteSpan body) {
  if (body.size() != 8)
    return Fail(ErrorCode::kLengthMismatch, "0x0800 body is 8 bytes");
  ByteReader reader(body);
  return Message(ReadMultimediaEvent(reader));
}

Result<Message> DecodeMultimediaUpload(ByteSpan body) {
  ByteReader reader(body);
  MultimediaUpload upload;
  upload.event = ReadMultimediaEvent(reader);
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "0x0801 shorter than its preamble");
  ByteSpan location = reader.Bytes(kLocationFixedSize);
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "0x0801 ends inside its location");
  ByteReader location_reader(location);
  if (auto read = ReadLocation(location_reader, /*with_items=*/false, upload.location); !read) {
    return tl::unexpected(read.error());
  }
  ByteSpan data = reader.Rest();
  upload.data.assign(data.begin(), data.end());
  return Message(std::move(upload));
}

Result<Message> DecodeResendSubpackages(ByteSpan body, Version version) {
  ByteReader reader(body);
  ResendSubpackages request;
  request.original_serial = reader.U16();
  size_t count = Is2019(version) ? reader.U16() : reader.U8();
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "0x8003 ends before its count");
  if (count * 2 != reader.remaining()) {
    return Fail(ErrorCode::kLengthMismatch, "0x8003 count disagrees with its package ids");
  }
  request.package_indexes.resize(count);
  for (uint16_t& index : request.package_indexes)
    index = reader.U16();
  return Message(std::move(request));
}

// --- encoding ---------------------------------------------------------------------------

struct BodyEncoder {
  Version version;
  std::vector<uint8_t>& out;

  Result<void> WriteReply(const GeneralReply& reply) {
    ByteWriter writer(out);
    writer.U16(reply.reply_serial);
    writer.U16(reply.reply_msg_id);
    writer.U8(reply.result);
    return {};
  }
  Result<void> operator()(const TerminalGeneralReply& m) { return WriteReply(m); }
  Result<void> operator()(const PlatformGeneralReply& m) { return WriteReply(m); }
  Result<void> operator()(const Heartbeat&) { return {}; }
  Result<void> operator()(const Logout&) { return {}; }
  Result<void> operator()(const LocationQuery&) { return {}; }
  Result<void> operator()(const QueryParameters&) { return {}; }

  Result<void> operator()(const Register& m) {
    const RegisterLayout layout = RegisterLayoutFor(version);
    ByteWriter writer(out);
    writer.U16(m.province_id);
    writer.U16(m.city_id);
    if (auto done = detail::WriteFixedString(out, m.maker_id, layout.maker); !done)
      return done;
    if (auto done = detail::WriteFixedString(out, m.terminal_model, layout.model); !done) {
      return done;
    }
    if (auto done = detail::WriteFixedString(out, m.terminal_id, layout.terminal_id); !done) {
      return done;
    }
    writer.U8(m.plate_color);
    return AppendUtf8AsGbk(m.plate, out);
  }

  Result<void> operator()(const RegisterReply& m) {
    ByteWriter writer(out);
    writer.U16(m.reply_serial);
    writer.U8(m.result);
    return AppendUtf8AsGbk(m.auth_code, out);
  }

  Result<void> operator()(const Auth& m) {
    if (!Is2019(version))
      return AppendUtf8AsGbk(m.auth_code, out);
    if (auto done = detail::WriteLengthPrefixedString(out, m.auth_code, 1); !done)
      return done;
    if (auto done = detail::WriteFixedString(out, m.imei, kImeiSize); !done)
      return done;
    return detail::WriteFixedString(out, m.software_version, kSoftwareVersionSize);
  }

  Result<void> operator()(const LocationReport& m) {
    return WriteLocation(m, /*with_items=*/true, out);
  }
  Result<void> operator()(const LocationBatch& m) { return EncodeLocationBatch(m, out); }
  Result<void> operator()(const LocationQueryReply& m) {
    ByteWriter(out).U16(m.reply_serial);
    return WriteLocation(m.location, /*with_items=*/true, out);
  }
  Result<void> operator()(const TemporaryTracking& m) {
    ByteWriter writer(out);
    writer.U16(m.interval_s);
    writer.U32(m.validity_s);
    return {};
  }
  Result<void> operator()(const TextMessage& m) {
    ByteWriter writer(out);
    writer.U8(m.flags);
    if (Is2019(version))
      writer.U8(m.text_type);
    return AppendUtf8AsGbk(m.text, out);
  }
  Result<void> operator()(const SetParameters& m) { return WriteParameters(m.parameters, out); }
  Result<void> operator()(const ParametersReply& m) {
    ByteWriter(out).U16(m.reply_serial);
    return WriteParameters(m.parameters, out);
  }
  Result<void> operator()(const SetCircleAreas& m) { return EncodeSetCircleAreas(m, version, out); }
  Result<void> operator()(const SetRectangleAreas& m) {
    return EncodeSetRectangleAreas(m, version, out);
  }
  Result<void> operator()(const SetPolygonArea& m) { return EncodeSetPolygonArea(m, version, out); }
  Result<void> operator()(const DeleteAreas& m) { return EncodeDeleteAreas(m, out); }
  Result<void> operator()(const MultimediaEvent& m) {
    ByteWriter writer(out);
    WriteMultimediaEvent(m, writer);
    return {};
  }
  Result<void> operator()(const MultimediaUpload& m) {
    ByteWriter writer(out);
    WriteMultimediaEvent(m.event, writer);
    if (auto done = WriteLocation(m.location, /*with_items=*/false, out); !done)
      return done;
    writer.Bytes(m.data);
    return {};
  }
  Result<void> operator()(const ResendSubpackages& m) {
    ByteWriter writer(out);
    size_t limit = Is2019(version) ? 0xffff : 0xff;
    if (m.package_indexes.size() > limit) {
      return Fail(ErrorCode::kTooLong, "too many package ids for one 0x8003");
    }
    writer.U16(m.original_serial);
    if (Is2019(version)) {
      writer.U16(static_cast<uint16_t>(m.package_indexes.size()));
    } else {
      writer.U8(static_cast<uint8_t>(m.package_indexes.size()));
    }
    for (uint16_t index : m.package_indexes)
      writer.U16(index);
    return {};
  }
  Result<void> operator()(const RawMessage& m) {
    ByteWriter(out).Bytes(m.body);
    return {};
  }
};

struct MessageIdOf {
  uint16_t operator()(const TerminalGeneralReply&) const { return msg_id::kTerminalGeneralReply; }
  uint16_t operator()(const PlatformGeneralReply&) const { return msg_id::kPlatformGeneralReply; }
  uint16_t operator()(const Heartbeat&) const { return msg_id::kHeartbeat; }
  uint16_t operator()(const Logout&) const { return msg_id::kLogout; }
  uint16_t operator()(const Register&) const { return msg_id::kRegister; }
  uint16_t operator()(const RegisterReply&) const { return msg_id::kRegisterReply; }
  uint16_t operator()(const Auth&) const { return msg_id::kAuth; }
  uint16_t operator()(const LocationReport&) const { return msg_id::kLocationReport; }
  uint16_t operator()(const LocationBatch&) const { return msg_id::kLocationBatch; }
  uint16_t operator()(const LocationQuery&) const { return msg_id::kLocationQuery; }
  uint16_t operator()(const LocationQueryReply&) const { return msg_id::kLocationQueryReply; }
  uint16_t operator()(const TemporaryTracking&) const { return msg_id::kTemporaryTracking; }
  uint16_t operator()(const TextMessage&) const { return msg_id::kTextMessage; }
  uint16_t operator()(const SetParameters&) const { return msg_id::kSetParameters; }
  uint16_t operator()(const QueryParameters&) const { return msg_id::kQueryParameters; }
  uint16_t operator()(const ParametersReply&) const { return msg_id::kParametersReply; }
  uint16_t operator()(const SetCircleAreas&) const { return msg_id::kSetCircleAreas; }
  uint16_t operator()(const SetRectangleAreas&) const { return msg_id::kSetRectangleAreas; }
  uint16_t operator()(const SetPolygonArea&) const { return msg_id::kSetPolygonArea; }
  uint16_t operator()(const DeleteAreas& m) const {
    switch (m.kind) {
      case AreaKind::kCircle:
        return msg_id::kDeleteCircleAreas;
      case AreaKind::kRectangle:
        return msg_id::kDeleteRectangleAreas;
      case AreaKind::kPolygon:
        return msg_id::kDeletePolygonAreas;
    }
    return msg_id::kDeleteCircleAreas;
  }
  uint16_t operator()(const MultimediaEvent&) const { return msg_id::kMultimediaEvent; }
  uint16_t operator()(const MultimediaUpload&) const { return msg_id::kMultimediaUpload; }
  uint16_t operator()(const ResendSubpackages&) const { return msg_id::kResendSubpackages; }
  uint16_t operator()(const RawMessage& m) const { return m.msg_id; }
};

}  // namespace

uint16_t MessageId(const Message& message) {
  return std::visit(MessageIdOf{}, message);
}

Result<void> DecodeLocationReport(ByteSpan body, LocationReport& out) {
  ByteReader reader(body);
  return ReadLocation(reader, /*with_items=*/true, out);
}

Result<Message> DecodeBody(uint16_t id, Version& version, ByteSpan body) {
  switch (id) {
    case msg_id::kTerminalGeneralReply:
      return DecodeGeneralReply<TerminalGeneralReply>(body);
    case msg_id::kPlatformGeneralReply:
      return DecodeGeneralReply<PlatformGeneralReply>(body);
    case msg_id::kHeartbeat:
      return RequireEmpty(body, Heartbeat{});
    case msg_id::kLogout:
      return RequireEmpty(body, Logout{});
    case msg_id::kLocationQuery:
      return RequireEmpty(body, LocationQuery{});
    case msg_id::kQueryParameters:
      return RequireEmpty(body, QueryParameters{});
    case msg_id::kRegister:
      return DecodeRegister(body, version);
    case msg_id::kRegisterReply:
      return DecodeRegisterReply(body);
    case msg_id::kAuth:
      return DecodeAuth(body, version);
    case msg_id::kLocationReport: {
      LocationReport report;
      if (auto read = DecodeLocationReport(body, report); !read) {
        return tl::unexpected(read.error());
      }
      return Message(std::move(report));
    }
    case msg_id::kLocationBatch:
      return Wrap(DecodeLocationBatch(body));
    case msg_id::kLocationQueryReply:
      return DecodeLocationQueryReply(body);
    case msg_id::kTemporaryTracking:
      return DecodeTemporaryTracking(body);
    case msg_id::kTextMessage:
      return DecodeTextMessage(body, version);
    case msg_id::kSetParameters:
      return DecodeSetParameters(body);
    case msg_id::kParametersReply:
      return DecodeParametersReply(body);
    case msg_id::kSetCircleAreas:
      return Wrap(DecodeSetCircleAreas(body, version));
    case msg_id::kSetRectangleAreas:
      return Wrap(DecodeSetRectangleAreas(body, version));
    case msg_id::kSetPolygonArea:
      return Wrap(DecodeSetPolygonArea(body, version));
    case msg_id::kDeleteCircleAreas:
      return Wrap(DecodeDeleteAreas(body, AreaKind::kCircle));
    case msg_id::kDeleteRectangleAreas:
      return Wrap(DecodeDeleteAreas(body, AreaKind::kRectangle));
    case msg_id::kDeletePolygonAreas:
      return Wrap(DecodeDeleteAreas(body, AreaKind::kPolygon));
    case msg_id::kMultimediaEvent:
      return DecodeMultimediaEvent(body);
    case msg_id::kMultimediaUpload:
      return DecodeMultimediaUpload(body);
    case msg_id::kResendSubpackages:
      return DecodeResendSubpackages(body, version);
    default:
      return Message(RawMessage{id, std::vector<uint8_t>(body.begin(), body.end())});
  }
}

Result<void> EncodeBody(const Message& message, Version version, std::vector<uint8_t>& out) {
  return std::visit(BodyEncoder{version, out}, message);
}

Result<DecodedMessage> DecodeMessage(const FrameView& frame) {
  DecodedMessage decoded{frame.header, RawMessage{}};
  if (frame.header.encryption != 0) {
    return Fail(ErrorCode::kUnsupported, "encrypted bodies (RSA) are not supported");
  }
  if (frame.header.subpackage && frame.header.subpackage->total > 1) {
    decoded.message =
        RawMessage{frame.header.msg_id, std::vector<uint8_t>(frame.body.begin(), frame.body.end())};
    return decoded;
  }
  auto message = DecodeBody(frame.header.msg_id, decoded.header.version, frame.body);
  if (!message)
    return tl::unexpected(message.error());
  decoded.message = std::move(*message);
  return decoded;
}

Result<void> MessageEncoder::Encode(Header header, const Message& message,
                                    std::vector<uint8_t>& out) {
  header.msg_id = MessageId(message);
  body_.clear();
  if (auto done = EncodeBody(message, header.version, body_); !done)
    return done;
  return AppendFrame(header, body_, frame_scratch_, out);
}

Result<std::vector<std::vector<uint8_t>>> MessageEncoder::EncodeSubpackaged(
    Header header, const Message& message, size_t max_package_body) {
  if (max_package_body == 0 || max_package_body > kMaxBodyLength) {
    return Fail(ErrorCode::kBadValue, "package body size must be 1..1023");
  }
  header.msg_id = MessageId(message);
  body_.clear();
  if (auto done = EncodeBody(message, header.version, body_); !done) {
    return tl::unexpected(done.error());
  }
  size_t total = std::max<size_t>(1, (body_.size() + max_package_body - 1) / max_package_body);
  if (total > 0xffff)
    return Fail(ErrorCode::kTooLong, "message needs over 65535 packages");
  std::vector<std::vector<uint8_t>> frames(total);
  for (size_t i = 0; i < total; ++i) {
    Header part = header;
    part.serial = static_cast<uint16_t>(header.serial + i);
    part.subpackage = Subpackage{static_cast<uint16_t>(total), static_cast<uint16_t>(i + 1)};
    size_t begin = i * max_package_body;
    size_t size = std::min(max_package_body, body_.size() - begin);
    ByteSpan piece = ByteSpan(body_).subspan(begin, size);
    if (auto done = AppendFrame(part, piece, frame_scratch_, frames[i]); !done) {
      return tl::unexpected(done.error());
    }
  }
  return frames;
}

}  // namespace baotong::jt808
