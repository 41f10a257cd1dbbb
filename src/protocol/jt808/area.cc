#include "protocol/jt808/area.h"

#include "protocol/jt808/body_io.h"

namespace baotong::jt808 {
namespace {

// Area times are kept as 12 BCD digits; zero fields are wildcards, so no calendar check.
Result<std::string> ReadBcdDigits(ByteReader& reader) {
  ByteSpan bytes = reader.Bytes(6);
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "body ends inside an area time");
  std::string digits;
  digits.reserve(12);
  for (uint8_t byte : bytes) {
    if ((byte >> 4) > 9 || (byte & 0x0f) > 9) {
      return Fail(ErrorCode::kBadBcd, "area time has a non-BCD nibble");
    }
    digits.push_back(static_cast<char>('0' + (byte >> 4)));
    digits.push_back(static_cast<char>('0' + (byte & 0x0f)));
  }
  return digits;
}

Result<void> WriteBcdDigits(std::string_view digits, ByteWriter& writer) {
  if (digits.size() != 12)
    return Fail(ErrorCode::kBadValue, "area time needs 12 BCD digits");
  for (char c : digits) {
    if (c < '0' || c > '9')
      return Fail(ErrorCode::kBadValue, "area time has a non-digit");
  }
  for (size_t i = 0; i < 12; i += 2) {
    writer.U8(static_cast<uint8_t>(((digits[i] - '0') << 4) | (digits[i + 1] - '0')));
  }
  return {};
}

Result<void> ReadTimeWindow(ByteReader& reader, uint16_t attributes, AreaLimits& limits) {
  if (!(attributes & area_attr::kTimeWindow))
    return {};
  auto start = ReadBcdDigits(reader);
  if (!start)
    return tl::unexpected(start.error());
  auto end = ReadBcdDigits(reader);
  if (!end)
    return tl::unexpected(end.error());
  limits.start_time = std::move(*start);
  limits.end_time = std::move(*end);
  return {};
}

Result<void> WriteTimeWindow(const AreaLimits& limits, uint16_t attributes, ByteWriter& writer) {
  if (!(attributes & area_attr::kTimeWindow))
    return {};
  if (auto done = WriteBcdDigits(limits.start_time, writer); !done)
    return done;
  return WriteBcdDigits(limits.end_time, writer);
}

// Max speed and duration, and for circles and rectangles in 2019 the night speed with them.
void ReadSpeedLimit(ByteReader& reader, uint16_t attributes, bool with_night_speed,
                    AreaLimits& limits) {
  if (!(attributes & area_attr::kSpeedLimit))
    return;
  limits.max_speed_kmh = reader.U16();
  limits.overspeed_duration_s = reader.U8();
  if (with_night_speed)
    limits.night_max_speed_kmh = reader.U16();
}

void WriteSpeedLimit(const AreaLimits& limits, uint16_t attributes, bool with_night_speed,
                     ByteWriter& writer) {
  if (!(attributes & area_attr::kSpeedLimit))
    return;
  writer.U16(limits.max_speed_kmh);
  writer.U8(limits.overspeed_duration_s);
  if (with_night_speed)
    writer.U16(limits.night_max_speed_kmh);
}

LatLon ReadLatLon(ByteReader& reader) {
  LatLon point;
  point.lat_e6 = reader.U32();
  point.lon_e6 = reader.U32();
  return point;
}

void WriteLatLon(const LatLon& point, ByteWriter& writer) {
  writer.U32(point.lat_e6);
  writer.U32(point.lon_e6);
}

// Reads the parts of a circle or rectangle after id and attributes, up to and including the
// 2019 name. `read_shape` reads the geometry.
template <typename Area, typename ReadShape>
Result<void> ReadAreaItem(ByteReader& reader, Version version, Area& area, ReadShape read_shape) {
  area.id = reader.U32();
  area.attributes = reader.U16();
  read_shape(reader, area);
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "body ends inside an area");
  if (auto done = ReadTimeWindow(reader, area.attributes, area.limits); !done)
    return done;
  ReadSpeedLimit(reader, area.attributes, Is2019(version), area.limits);
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "body ends inside an area speed limit");
  if (Is2019(version)) {
    auto name = detail::ReadLengthPrefixedString(reader, 2);
    if (!name)
      return tl::unexpected(name.error());
    area.name = std::move(*name);
  }
  return {};
}

template <typename Area, typename WriteShape>
Result<void> WriteAreaItem(const Area& area, Version version, std::vector<uint8_t>& out,
                           WriteShape write_shape) {
  ByteWriter writer(out);
  writer.U32(area.id);
  writer.U16(area.attributes);
  write_shape(area, writer);
  if (auto done = WriteTimeWindow(area.limits, area.attributes, writer); !done)
    return done;
  WriteSpeedLimit(area.limits, area.attributes, Is2019(version), writer);
  if (Is2019(version))
    return detail::WriteLengthPrefixedString(out, area.name, 2);
  return {};
}

template <typename Message, typename ReadItem>
Result<Message> DecodeAreaList(ByteSpan body, ReadItem read_item) {
  ByteReader reader(body);
  Message message;
  message.setting = reader.U8();
  uint8_t count = reader.U8();
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "area message shorter than 2 bytes");
  message.areas.resize(count);
  for (auto& area : message.areas) {
    if (auto done = read_item(reader, area); !done)
      return tl::unexpected(done.error());
  }
  if (!reader.empty())
    return Fail(ErrorCode::kLengthMismatch, "bytes after the last area");
  return message;
}

template <typename Message, typename WriteItem>
Result<void> EncodeAreaList(const Message& message, std::vector<uint8_t>& out,
                            WriteItem write_item) {
  if (message.areas.size() > 0xff)
    return Fail(ErrorCode::kTooLong, "at most 255 areas");
  ByteWriter writer(out);
  writer.U8(message.setting);
  writer.U8(static_cast<uint8_t>(message.areas.size()));
  for (const auto& area : message.areas) {
    if (auto done = write_item(area); !done)
      return done;
  }
  return {};
}

}  // namespace

Result<SetCircleAreas> DecodeSetCircleAreas(ByteSpan body, Version version) {
  return DecodeAreaList<SetCircleAreas>(body, [&](ByteReader& reader, CircleArea& area) {
    return ReadAreaItem(reader, version, area, [](ByteReader& r, CircleArea& a) {
      a.center = ReadLatLon(r);
      a.radius_m = r.U32();
    });
  });
}

Result<void> EncodeSetCircleAreas(const SetCircleAreas& message, Version version,
                                  std::vector<uint8_t>& out) {
  return EncodeAreaList(message, out, [&](const CircleArea& area) {
    return WriteAreaItem(area, version, out, [](const CircleArea& a, ByteWriter& w) {
      WriteLatLon(a.center, w);
      w.U32(a.radius_m);
    });
  });
}

Result<SetRectangleAreas> DecodeSetRectangleAreas(ByteSpan body, Version version) {
  return DecodeAreaList<SetRectangleAreas>(body, [&](ByteReader& reader, RectangleArea& area) {
    return ReadAreaItem(reader, version, area, [](ByteReader& r, RectangleArea& a) {
      a.top_left = ReadLatLon(r);
      a.bottom_right = ReadLatLon(r);
    });
  });
}

Result<void> EncodeSetRectangleAreas(const SetRectangleAreas& message, Version version,
                                     std::vector<uint8_t>& out) {
  return EncodeAreaList(message, out, [&](const RectangleArea& area) {
    return WriteAreaItem(area, version, out, [](const RectangleArea& a, ByteWriter& w) {
      WriteLatLon(a.top_left, w);
      WriteLatLon(a.bottom_right, w);
    });
  });
}

// Polygon: in 2019 the night speed follows the vertices, present when attribute bit 1 is set,
// as the standard's table says. (yezhihao/jt808-server writes it unconditionally; its area
// frames also carry time fields that attribute bit 0 says are absent, so they do not decode.)
Result<SetPolygonArea> DecodeSetPolygonArea(ByteSpan body, Version version) {
  ByteReader reader(body);
  SetPolygonArea area;
  area.id = reader.U32();
  area.attributes = reader.U16();
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "0x8604 shorter than 6 bytes");
  if (auto done = ReadTimeWindow(reader, area.attributes, area.limits); !done) {
    return tl::unexpected(done.error());
  }
  ReadSpeedLimit(reader, area.attributes, /*with_night_speed=*/false, area.limits);
  uint16_t count = reader.U16();
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "0x8604 ends before its vertex count");
  if (size_t{count} * 8 > reader.remaining()) {
    return Fail(ErrorCode::kLengthMismatch, "0x8604 vertex count exceeds the body");
  }
  area.vertices.resize(count);
  for (LatLon& vertex : area.vertices)
    vertex = ReadLatLon(reader);
  if (Is2019(version)) {
    if (area.attributes & area_attr::kSpeedLimit)
      area.limits.night_max_speed_kmh = reader.U16();
    if (!reader.ok())
      return Fail(ErrorCode::kTruncated, "0x8604 ends inside its vertices");
    auto name = detail::ReadLengthPrefixedString(reader, 2);
    if (!name)
      return tl::unexpected(name.error());
    area.name = std::move(*name);
  }
  if (!reader.empty())
    return Fail(ErrorCode::kLengthMismatch, "bytes after the polygon");
  return area;
}

Result<void> EncodeSetPolygonArea(const SetPolygonArea& area, Version version,
                                  std::vector<uint8_t>& out) {
  if (area.vertices.size() > 0xffff)
    return Fail(ErrorCode::kTooLong, "too many vertices");
  ByteWriter writer(out);
  writer.U32(area.id);
  writer.U16(area.attributes);
  if (auto done = WriteTimeWindow(area.limits, area.attributes, writer); !done)
    return done;
  WriteSpeedLimit(area.limits, area.attributes, /*with_night_speed=*/false, writer);
  writer.U16(static_cast<uint16_t>(area.vertices.size()));
  for (const LatLon& vertex : area.vertices)
    WriteLatLon(vertex, writer);
  if (Is2019(version)) {
    if (area.attributes & area_attr::kSpeedLimit)
      writer.U16(area.limits.night_max_speed_kmh);
    return detail::WriteLengthPrefixedString(out, area.name, 2);
  }
  return {};
}

Result<DeleteAreas> DecodeDeleteAreas(ByteSpan body, AreaKind kind) {
  ByteReader reader(body);
  DeleteAreas message;
  message.kind = kind;
  uint8_t count = reader.U8();
  if (!reader.ok())
    return Fail(ErrorCode::kTruncated, "area delete has no count");
  if (size_t{count} * 4 != reader.remaining()) {
    return Fail(ErrorCode::kLengthMismatch, "area delete count disagrees with its ids");
  }
  message.ids.resize(count);
  for (uint32_t& id : message.ids)
    id = reader.U32();
  return message;
}

Result<void> EncodeDeleteAreas(const DeleteAreas& message, std::vector<uint8_t>& out) {
  if (message.ids.size() > 125) {
    return Fail(ErrorCode::kTooLong, "at most 125 area ids per delete");  // standard's limit
  }
  ByteWriter writer(out);
  writer.U8(static_cast<uint8_t>(message.ids.size()));
  for (uint32_t id : message.ids)
    writer.U32(id);
  return {};
}

}  // namespace baotong::jt808
