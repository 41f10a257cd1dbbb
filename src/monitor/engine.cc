#include "monitor/engine.h"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "protocol/jt808/constants.h"

namespace baotong::monitor {

namespace {

constexpr int64_t kDayMs = 24 * 3600 * 1000;
constexpr int64_t kChinaOffsetMs = 8 * 3600 * 1000;

int64_t Ms(double seconds) {
  return static_cast<int64_t>(seconds * 1000);
}

// "2 小时 3 分 5 秒", "3 分 5 秒", "45 秒".
std::string DurationText(int64_t ms) {
  const int64_t total = std::max<int64_t>(0, ms / 1000);
  char text[64];
  if (total >= 3600)
    std::snprintf(text, sizeof text, "%lld 小时 %lld 分", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60));
  else if (total >= 60)
    std::snprintf(text, sizeof text, "%lld 分 %lld 秒", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  else
    std::snprintf(text, sizeof text, "%lld 秒", static_cast<long long>(total));
  return text;
}

// Whole numbers for messages: "812".
std::string Whole(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f", value);
  return text;
}

int64_t ChinaDay(int64_t utc_ms) {
  const int64_t local = utc_ms + kChinaOffsetMs;
  return local >= 0 ? local / kDayMs : (local - kDayMs + 1) / kDayMs;
}

uint32_t Bit(AlarmKind kind) {
  return 1u << static_cast<int>(kind);
}

// Never 0 (the empty slot's mark); low bits well mixed for a power-of-two table.
uint64_t TerminalHash(std::string_view terminal) {
  uint64_t hash = std::hash<std::string_view>{}(terminal);
  hash ^= hash >> 29;
  hash *= 0xbf58476d1ce4e5b9ULL;
  hash ^= hash >> 32;
  return hash | 1;
}

}  // namespace

struct RuleEngine::Vehicle {
  std::string terminal;
  std::shared_ptr<const VehicleContext> context;
  int64_t context_at_ms = 0;
  bool context_loaded = false;
  uint64_t generation = 0;  // rules_generation_ that route_zone and cursor belong to
  std::optional<uint32_t> route_zone;
  uint32_t route_segment = 0;  // the segment of its route it was last near
  ZoneIndex::Cursor cursor;
  // From the context, kept here so that a position does not have to read it.
  uint8_t class_entry = kUnregisteredClass;
  uint32_t class_bit = 0;   // 1 << VehicleClass; 0 when not registered
  bool has_permit = false;  // a pass or a standing registration
  int64_t permit_from_ms = 0, permit_until_ms = 0;
  int64_t planned_exit_ms = -1;  // -1: none

  bool has_position = false;
  int64_t at_ms = 0;     // device time of the last position
  int64_t heard_ms = 0;  // wall clock of the last position (receive time)
  double lat = 0, lon = 0, speed_kmh = 0;
  uint16_t direction = 0;
  bool moving = false;
  bool in_city = false;

  uint32_t open = 0;                // bit per AlarmKind, for the kinds with subject ""
  uint32_t terminal_bits_open = 0;  // terminal_alarm subjects
  std::vector<uint32_t> inside;     // restricted zones it is in (sorted ids)
  // Zones with an open zone_entry / zone_exit; id: the zone in the current rules (nullopt once
  // the zone is gone).
  struct OpenZone {
    std::string code;
    std::optional<uint32_t> id;
  };
  std::vector<OpenZone> entry_open, exit_open;

  int64_t off_route_since = -1;
  int clear_reports = 0;
  int64_t over_since = -1;
  int64_t stopped_since = -1;
  int64_t continuous_ms = 0;
  int64_t daily_ms = 0;
  int64_t day = 0;
};

RuleEngine::RuleEngine(std::shared_ptr<const RuleSet> rules, const ContextSource& context,
                       int64_t context_refresh_ms)
    : context_(context), context_refresh_ms_(context_refresh_ms) {
  UseRules(std::move(rules));
}

void RuleEngine::UseRules(std::shared_ptr<const RuleSet> rules) {
  rules_ = std::move(rules);
  city_zones_.clear();
  for (uint32_t id = 0; id < rules_->zones->size(); ++id) {
    if (rules_->zones->zone(id).kind == ZoneKind::kCity)
      city_zones_.push_back(id);
  }
}

RuleEngine::~RuleEngine() = default;

void RuleEngine::SetRules(std::shared_ptr<const RuleSet> rules) {
  const ZoneIndex& old_zones = *rules_->zones;
  const ZoneIndex& new_zones = *rules->zones;
  for (auto& vehicle : vehicles_) {
    std::vector<uint32_t> inside;
    for (uint32_t id : vehicle->inside) {
      if (auto found = new_zones.FindByCode(old_zones.zone(id).code))
        inside.push_back(*found);
    }
    std::sort(inside.begin(), inside.end());
    vehicle->inside = std::move(inside);
    for (auto* open : {&vehicle->entry_open, &vehicle->exit_open}) {
      for (auto& zone : *open)
        zone.id = new_zones.FindByCode(zone.code);
    }
    vehicle->cursor = {};
  }
  UseRules(std::move(rules));
  ++rules_generation_;
}

void RuleEngine::Process(const model::Position& position, int64_t received_ns,
                         std::vector<AlarmSignal>& out) {
  Evaluate(VehicleFor(position.terminal, TerminalHash(position.terminal)), position, received_ns,
           out);
}

void RuleEngine::ProcessBatch(std::span<const model::Position> positions,
                              std::span<const int64_t> received_ns, std::vector<AlarmSignal>& out) {
  // Four stages ahead of the position being evaluated: its slot in the vehicle table (far
  // ahead), the vehicle the slot points to, what the vehicle points to (its cell's candidates,
  // route facts, inside list), then the shapes those candidates will test. Prefetches are
  // hints: a slot taken by another vehicle or a table grown meanwhile costs a miss, never a
  // wrong answer.
  constexpr size_t kSlotAhead = 16, kVehicleAhead = 10, kCandidatesAhead = 5, kShapesAhead = 2;
  constexpr size_t kRing = 32;  // > kSlotAhead, power of two
  static_assert(sizeof(Vehicle) <= 8 * 64);
  const ZoneIndex& zones = *rules_->zones;
  uint64_t hashes[kRing];
  const size_t n = std::min(positions.size(), received_ns.size());
  // The vehicle that position i will probably use (nullptr: unknown yet).
  auto vehicle_at = [&](size_t i) -> const Vehicle* {
    if (slots_.empty())
      return nullptr;
    return slots_[hashes[i % kRing] & (slots_.size() - 1)].vehicle;
  };
  for (size_t i = 0; i < std::min(n, kSlotAhead); ++i)
    hashes[i % kRing] = TerminalHash(positions[i].terminal);
  for (size_t i = 0; i < n; ++i) {
    if (i + kSlotAhead < n) {
      const size_t ahead = i + kSlotAhead;
      hashes[ahead % kRing] = TerminalHash(positions[ahead].terminal);
      if (!slots_.empty())
        __builtin_prefetch(&slots_[hashes[ahead % kRing] & (slots_.size() - 1)]);
    }
    if (i + kVehicleAhead < n) {
      if (const Vehicle* ahead = vehicle_at(i + kVehicleAhead)) {
        const char* bytes = reinterpret_cast<const char*>(ahead);
        for (size_t line = 0; line < sizeof(Vehicle); line += 64)
          __builtin_prefetch(bytes + line);
        __builtin_prefetch(bytes + sizeof(Vehicle) - 1);  // it need not start a line
      }
    }
    if (i + kCandidatesAhead < n) {
      if (const Vehicle* ahead = vehicle_at(i + kCandidatesAhead)) {
        const model::Position& p = positions[i + kCandidatesAhead];
        zones.PrefetchCandidates(ahead->cursor, ahead->route_zone,
                                 {p.lat_e6 / 1e6, p.lon_e6 / 1e6});
        if (!ahead->inside.empty())
          __builtin_prefetch(ahead->inside.data());
      }
    }
    if (i + kShapesAhead < n) {
      if (const Vehicle* ahead = vehicle_at(i + kShapesAhead))
        zones.PrefetchShapes(ahead->cursor, ahead->route_zone, ahead->route_segment);
    }
    Evaluate(VehicleFor(positions[i].terminal, hashes[i % kRing]), positions[i], received_ns[i],
             out);
  }
}

RuleEngine::Vehicle& RuleEngine::VehicleFor(std::string_view terminal, uint64_t hash) {
  if (Vehicle* vehicle = FindVehicle(terminal, hash))
    return *vehicle;
  Vehicle* vehicle = vehicles_.emplace_back(std::make_unique<Vehicle>()).get();
  vehicle->terminal = terminal;
  if ((vehicles_.size() + 1) * 2 > slots_.size()) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(64, old.size() * 2), Slot{});
    for (const Slot& slot : old) {
      if (slot.hash != 0)
        Insert(slot);
    }
  }
  Insert({hash, vehicle});
  return *vehicle;
}

RuleEngine::Vehicle* RuleEngine::FindVehicle(std::string_view terminal, uint64_t hash) const {
  if (slots_.empty())
    return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.hash == 0)
      return nullptr;
    if (slot.hash == hash && slot.vehicle->terminal == terminal)
      return slot.vehicle;
  }
}

void RuleEngine::Insert(Slot slot) {
  const size_t mask = slots_.size() - 1;
  size_t i = slot.hash & mask;
  while (slots_[i].hash != 0)
    i = (i + 1) & mask;
  slots_[i] = slot;
}

void RuleEngine::Evaluate(Vehicle& v, const model::Position& position, int64_t received_ns,
                          std::vector<AlarmSignal>& out) {
  const int64_t t =
      position.device_time_ms != 0 ? position.device_time_ms : position.receive_time_ms;
  if (v.has_position && t < v.at_ms)
    return;  // older than what we know: a late resend
  const RuleSettings& settings = rules_->settings;
  const ZoneIndex& zones = *rules_->zones;

  if (!v.context_loaded || t - v.context_at_ms >= context_refresh_ms_ || t < v.context_at_ms) {
    auto context = context_.Find(v.terminal, t);
    if (context != v.context)
      v.generation = 0;  // its route may have changed
    v.context = std::move(context);
    v.context_at_ms = t;
    const VehicleContext* c = v.context.get();
    v.class_entry = c && c->vehicle_class ? static_cast<uint8_t>(*c->vehicle_class)
                                          : static_cast<uint8_t>(kUnregisteredClass);
    v.class_bit = c && c->vehicle_class ? 1u << static_cast<int>(*c->vehicle_class) : 0;
    v.has_permit = c && (c->pass_id || c->standing);
    v.permit_from_ms = c ? c->permit_from_ms : 0;
    v.permit_until_ms = c ? c->permit_until_ms : 0;
    v.planned_exit_ms = c && c->planned_exit_ms ? *c->planned_exit_ms : -1;
    v.context_loaded = true;
  }
  const VehicleContext* context = v.context.get();
  if (v.generation != rules_generation_) {
    v.route_zone.reset();
    if (context && context->route_code) {
      v.route_zone = zones.FindByCode(*context->route_code);
      if (v.route_zone && zones.zone(*v.route_zone).kind != ZoneKind::kRoute)
        v.route_zone.reset();
    }
    v.cursor = {};
    v.generation = rules_generation_;
  }

  const geo::LatLon point{position.lat_e6 / 1e6, position.lon_e6 / 1e6};
  const double speed = position.speed_dkmh / 10.0;
  const size_t class_entry = v.class_entry;
  const uint32_t class_bit = v.class_bit;
  const ClassThresholds& limits = settings.classes[class_entry];
  const int minute = ChinaMinuteOfDay(t);
  const bool night = InWindow({settings.night_start_minute, settings.night_end_minute}, minute);

  auto emit = [&](AlarmSignal::Edge edge, AlarmKind kind, std::string subject, std::string detail,
                  std::string department = {}) {
    AlarmSignal& s = out.emplace_back();
    s.edge = edge;
    s.kind = kind;
    s.terminal = v.terminal;
    if (context) {
      s.plate = context->plate;
      s.plate_color = context->plate_color;
      s.pass_id = context->pass_id;
      s.district = context->district;
    }
    s.subject = std::move(subject);
    s.at_ms = t;
    s.received_ns = received_ns;
    s.lat = point.lat;
    s.lon = point.lon;
    s.speed_kmh = speed;
    s.detail = std::move(detail);
    s.zone_department = std::move(department);
  };
  // The rules whose subject is "": raise when `raise` and closed, clear when `clear` and open.
  auto edge = [&](AlarmKind kind, bool raise, bool clear, auto&& raise_detail,
                  const char* clear_detail) {
    const bool is_open = v.open & Bit(kind);
    if (!settings.Enabled(kind)) {
      if (is_open) {
        v.open &= ~Bit(kind);
        emit(AlarmSignal::Edge::kClear, kind, "", "规则已停用");
      }
      return;
    }
    if (!is_open && raise) {
      v.open |= Bit(kind);
      emit(AlarmSignal::Edge::kRaise, kind, "", raise_detail());
    } else if (is_open && clear) {
      v.open &= ~Bit(kind);
      emit(AlarmSignal::Edge::kClear, kind, "", clear_detail);
    }
  };

  // signal_lost clears at the next position.
  if (v.open & Bit(AlarmKind::kSignalLost)) {
    v.open &= ~Bit(AlarmKind::kSignalLost);
    emit(AlarmSignal::Edge::kClear, AlarmKind::kSignalLost, "",
         "信号恢复，中断 " + DurationText(t - v.at_ms));
  }

  // ---- Zones at the point: one pass over the candidates of its grid cell; its own route
  // apart.
  zones.CandidatesAt(point, v.cursor);
  bool in_city = false, in_site = false;
  const bool on_route =
      v.route_zone && zones.RouteContains(v.cursor, *v.route_zone, point, v.route_segment);
  double zone_limit = INFINITY;
  uint32_t limit_zone = 0;
  std::vector<uint32_t>& now_inside = scratch_;
  now_inside.clear();
  for (const ZoneIndex::Candidate* c = v.cursor.begin; c != v.cursor.end; ++c) {
    // Skip without touching the zone where the candidate alone decides.
    switch (c->kind) {
      case ZoneKind::kCity:
        if (in_city && !c->has_speed_limit)
          continue;
        break;
      case ZoneKind::kSite:
        if (in_site && !c->has_speed_limit)
          continue;
        break;
      case ZoneKind::kRestricted:
        if (class_bit != 0 && !(c->vehicle_classes & class_bit))
          continue;
        if (!c->always_active && !zones.Applies(c->zone, minute, class_bit))
          continue;
        break;
      case ZoneKind::kRoute:
        continue;  // not in this part of the cell
    }
    if (!zones.CandidateContains(v.cursor, *c, point))
      continue;
    switch (c->kind) {
      case ZoneKind::kCity:
        in_city = true;
        break;
      case ZoneKind::kSite:
        in_site = true;
        break;
      case ZoneKind::kRestricted:
        now_inside.push_back(c->zone);
        break;
      case ZoneKind::kRoute:
        break;
    }
    if (c->has_speed_limit && zones.SpeedLimit(c->zone) < zone_limit &&
        zones.Applies(c->zone, minute, class_bit)) {
      zone_limit = zones.SpeedLimit(c->zone);
      limit_zone = c->zone;
    }
  }
  // A route with a speed limit counts as the zones do (the lowest id wins a tie).
  if (on_route) {
    const double route_limit = zones.SpeedLimit(*v.route_zone);
    if ((route_limit < zone_limit || (route_limit == zone_limit && *v.route_zone < limit_zone)) &&
        zones.Applies(*v.route_zone, minute, class_bit)) {
      zone_limit = route_limit;
      limit_zone = *v.route_zone;
    }
  }
  // Hysteresis: a zone it was in is left only once it is zone_exit_margin_m outside.
  if (v.in_city && !in_city) {
    for (uint32_t id : city_zones_) {
      if (ZoneContains(zones.zone(id), point, settings.zone_exit_margin_m)) {
        in_city = true;
        break;
      }
    }
  }
  for (uint32_t id : v.inside) {
    if (std::find(now_inside.begin(), now_inside.end(), id) == now_inside.end()) {
      const Zone& zone = zones.zone(id);
      if (ZoneApplies(zone, minute, class_bit) &&
          ZoneContains(zone, point, settings.zone_exit_margin_m))
        now_inside.push_back(id);
    }
  }
  std::sort(now_inside.begin(), now_inside.end());

  // ---- zone_entry / zone_exit.
  const bool entry_on = settings.Enabled(AlarmKind::kZoneEntry);
  const bool exit_on = settings.Enabled(AlarmKind::kZoneExit);
  for (uint32_t id : now_inside) {
    const Zone& zone = zones.zone(id);
    auto same = [id](const Vehicle::OpenZone& o) { return o.id == id; };
    auto exit_it = std::find_if(v.exit_open.begin(), v.exit_open.end(), same);
    if (exit_it != v.exit_open.end()) {
      v.exit_open.erase(exit_it);
      emit(AlarmSignal::Edge::kClear, AlarmKind::kZoneExit, zone.code, "已返回" + zone.name,
           zone.department);
    }
    if (entry_on && !std::binary_search(v.inside.begin(), v.inside.end(), id) &&
        std::find_if(v.entry_open.begin(), v.entry_open.end(), same) == v.entry_open.end()) {
      v.entry_open.push_back({zone.code, id});
      emit(AlarmSignal::Edge::kRaise, AlarmKind::kZoneEntry, zone.code, "驶入" + zone.name,
           zone.department);
    }
  }
  for (uint32_t id : v.inside) {
    if (std::binary_search(now_inside.begin(), now_inside.end(), id))
      continue;
    const Zone& zone = zones.zone(id);
    if (exit_on && zone.alarm_on_exit && ZoneApplies(zone, minute, class_bit) &&
        std::find_if(v.exit_open.begin(), v.exit_open.end(), [id](const Vehicle::OpenZone& o) {
          return o.id == id;
        }) == v.exit_open.end()) {
      v.exit_open.push_back({zone.code, id});
      emit(AlarmSignal::Edge::kRaise, AlarmKind::kZoneExit, zone.code, "驶离" + zone.name,
           zone.department);
    }
  }
  // Entry alarms of zones it is no longer in (left, deactivated, deleted or rule off).
  for (size_t i = 0; i < v.entry_open.size();) {
    const auto id = v.entry_open[i].id;
    const bool still =
        entry_on && id && std::binary_search(now_inside.begin(), now_inside.end(), *id);
    if (still) {
      ++i;
      continue;
    }
    const std::string department = id ? zones.zone(*id).department : std::string();
    emit(AlarmSignal::Edge::kClear, AlarmKind::kZoneEntry, v.entry_open[i].code,
         id ? "已驶离" + zones.zone(*id).name : "区域已删除", department);
    v.entry_open.erase(v.entry_open.begin() + static_cast<std::ptrdiff_t>(i));
  }
  for (size_t i = 0; i < v.exit_open.size();) {
    const auto id = v.exit_open[i].id;
    if (exit_on && id) {
      ++i;
      continue;
    }
    emit(AlarmSignal::Edge::kClear, AlarmKind::kZoneExit, v.exit_open[i].code,
         id ? "规则已停用" : "区域已删除");
    v.exit_open.erase(v.exit_open.begin() + static_cast<std::ptrdiff_t>(i));
  }
  v.inside.assign(now_inside.begin(), now_inside.end());

  // ---- Motion, stops, driving time.
  const bool moving = speed >= limits.stop_speed_kmh;
  const int64_t day = ChinaDay(t);
  if (!v.has_position || day != v.day) {
    v.day = day;
    v.daily_ms = 0;
  }
  if (v.has_position) {
    const int64_t dt = t - v.at_ms;
    if (dt >= Ms(limits.rest_s))
      v.continuous_ms = 0;  // a silence as long as a rest: the engine was off
    else if (v.moving) {
      v.continuous_ms += dt;
      v.daily_ms += dt;
    }
  }
  if (moving) {
    v.stopped_since = -1;
  } else {
    if (v.stopped_since < 0)
      v.stopped_since = t;
    if (t - v.stopped_since >= Ms(limits.rest_s))
      v.continuous_ms = 0;
  }
  const int64_t stopped_for = v.stopped_since < 0 ? -1 : t - v.stopped_since;

  // ---- no_permit, overstay.
  const bool permit =
      v.has_permit && t >= v.permit_from_ms && (v.permit_until_ms == 0 || t <= v.permit_until_ms);
  // Past a trip's planned exit the finding is overstay's, not a missing permit.
  const bool past_planned_exit = v.planned_exit_ms >= 0 && t > v.planned_exit_ms;
  edge(
      AlarmKind::kNoPermit, in_city && !permit && !past_planned_exit,
      !in_city || permit || past_planned_exit,
      [&] { return std::string(context ? "城区内无有效通行证" : "未登记车辆在城区内行驶"); },
      in_city ? "已取得通行证" : "已出城");
  const bool overdue =
      in_city && v.planned_exit_ms >= 0 && t > v.planned_exit_ms + Ms(settings.overstay_grace_s);
  edge(
      AlarmKind::kOverstay, overdue, !overdue,
      [&] { return "超过计划出城时间 " + DurationText(t - v.planned_exit_ms); },
      in_city ? "通行证已延期" : "已出城");

  // ---- off_route: outside the corridor for off_route_for_s; back within corridor - margin
  // for off_route_clear_reports reports in a row.
  {
    const bool applies = in_city && v.route_zone.has_value();
    bool raise = false, clear = !applies;
    int64_t off_for = 0;
    if (applies && !(v.open & Bit(AlarmKind::kOffRoute))) {
      if (on_route) {
        v.off_route_since = -1;
      } else {
        if (v.off_route_since < 0)
          v.off_route_since = t;
        off_for = t - v.off_route_since;
        raise = off_for >= Ms(settings.off_route_for_s);
      }
    } else if (applies) {
      const Zone& route = zones.zone(*v.route_zone);
      if (on_route && ZoneContains(route, point, -settings.off_route_clear_margin_m))
        ++v.clear_reports;
      else
        v.clear_reports = 0;
      clear = v.clear_reports >= settings.off_route_clear_reports;
    }
    edge(
        AlarmKind::kOffRoute, raise, clear,
        [&] {
          const Zone& route = zones.zone(*v.route_zone);
          const double d =
              geo::DistanceToPolylineM(point, std::get<geo::Polyline>(route.shape).points);
          return "偏离路线 " + Whole(d) + " 米" + "，已持续 " + DurationText(off_for);
        },
        applies ? "已回到路线" : "已出城或无指定路线");
    if (!(v.open & Bit(AlarmKind::kOffRoute))) {
      v.clear_reports = 0;
      if (!applies)
        v.off_route_since = -1;
    } else {
      v.off_route_since = -1;
    }
  }

  // ---- stop_outside_site.
  {
    const bool raise =
        limits.stop_for_s > 0 && !moving && !in_site && stopped_for >= Ms(limits.stop_for_s);
    edge(
        AlarmKind::kStopOutsideSite, raise, moving || limits.stop_for_s <= 0,
        [&] { return "在指定场所外停车 " + DurationText(stopped_for); }, "车辆已驶离");
  }

  // ---- door_open.
  {
    namespace jt = jt808;
    const bool doors_open = (position.status & jt::status_bit::kAnyDoorOpen) != 0 ||
                            (position.alarm & jt::alarm_bit::kIllegalDoorOpen) != 0;
    edge(
        AlarmKind::kDoorOpen, limits.door_rule && doors_open && !in_site,
        !doors_open || !limits.door_rule,
        [&] { return std::string(moving ? "行驶中车门开启" : "指定场所外车门开启"); },
        "车门已关闭");
  }

  // ---- overspeed: the lower of class and zone limit; passenger vehicles at night a share.
  {
    double limit = limits.speed_limit_kmh;
    const Zone* deciding = nullptr;
    if (zone_limit < limit) {
      limit = zone_limit;
      deciding = &zones.zone(limit_zone);
    }
    if (night && limits.night_speed_reduction)
      limit *= settings.night_speed_factor;
    const bool is_open = v.open & Bit(AlarmKind::kOverspeed);
    bool raise = false;
    int64_t over_for = 0;
    if (!is_open) {
      if (speed > limit) {
        if (v.over_since < 0)
          v.over_since = t;
        over_for = t - v.over_since;
        raise = over_for >= Ms(limits.overspeed_for_s);
      } else {
        v.over_since = -1;
      }
    }
    const bool clear = speed < limit - limits.overspeed_clear_kmh;
    const bool was_open = is_open;
    edge(
        AlarmKind::kOverspeed, raise, clear,
        [&] {
          return "超速 " + Whole(speed) + " km/h（限速 " + Whole(limit) + " km/h）" + "，已持续 " +
                 DurationText(over_for);
        },
        "车速已恢复正常");
    if (raise && deciding && !out.empty() && out.back().kind == AlarmKind::kOverspeed)
      out.back().zone_department = deciding->department;
    if (was_open && !(v.open & Bit(AlarmKind::kOverspeed)))
      v.over_since = -1;
  }

  // ---- fatigue.
  {
    const int64_t limit = Ms(night ? limits.continuous_night_s : limits.continuous_day_s);
    edge(
        AlarmKind::kFatigueContinuous, v.continuous_ms > limit, v.continuous_ms == 0,
        [&] { return "连续驾驶 " + DurationText(v.continuous_ms); }, "已休息");
    edge(
        AlarmKind::kFatigueDaily, v.daily_ms > Ms(limits.daily_s), v.daily_ms == 0,
        [&] { return "当日累计驾驶 " + DurationText(v.daily_ms); }, "已到次日");
  }

  // ---- night_bus.
  {
    const bool banned_hours =
        InWindow({settings.bus_ban_start_minute, settings.bus_ban_end_minute}, minute);
    edge(
        AlarmKind::kNightBus, limits.night_ban && banned_hours && moving,
        !limits.night_ban || !banned_hours ||
            (stopped_for >= 0 && stopped_for >= Ms(settings.night_bus_clear_stop_s)),
        [&] { return std::string("客车在 02:00-05:00 禁行时段行驶"); }, "已停车或禁行时段已过");
  }

  // ---- terminal_alarm: edge triggered per bit.
  {
    const uint32_t bits = settings.Enabled(AlarmKind::kTerminalAlarm)
                              ? position.alarm & settings.terminal_alarm_mask
                              : 0;
    const uint32_t raised = bits & ~v.terminal_bits_open;
    const uint32_t cleared = v.terminal_bits_open & ~bits;
    for (int bit = 0; bit < 32; ++bit) {
      const uint32_t mask = 1u << bit;
      if ((raised | cleared) & mask) {
        emit(raised & mask ? AlarmSignal::Edge::kRaise : AlarmSignal::Edge::kClear,
             AlarmKind::kTerminalAlarm, "bit" + std::to_string(bit),
             std::string(TerminalAlarmBitName(bit)) + (raised & mask ? "" : "已解除"));
      }
    }
    v.terminal_bits_open = bits;
  }

  v.has_position = true;
  v.at_ms = t;
  v.heard_ms = position.receive_time_ms != 0 ? position.receive_time_ms : t;
  v.lat = point.lat;
  v.lon = point.lon;
  v.speed_kmh = speed;
  v.direction = position.direction;
  v.moving = moving;
  v.in_city = in_city;
}

void RuleEngine::Tick(int64_t now_ms, std::vector<AlarmSignal>& out) {
  const RuleSettings& settings = rules_->settings;
  for (auto& vp : vehicles_) {
    Vehicle& v = *vp;
    if (!v.has_position)
      continue;
    auto emit = [&](AlarmSignal::Edge edge, AlarmKind kind, std::string detail) {
      AlarmSignal& s = out.emplace_back();
      s.edge = edge;
      s.kind = kind;
      s.terminal = v.terminal;
      if (v.context) {
        s.plate = v.context->plate;
        s.plate_color = v.context->plate_color;
        s.pass_id = v.context->pass_id;
        s.district = v.context->district;
      }
      s.at_ms = now_ms;
      s.lat = v.lat;
      s.lon = v.lon;
      s.speed_kmh = v.speed_kmh;
      s.detail = std::move(detail);
    };
    const bool lost = v.in_city && now_ms - v.heard_ms > Ms(settings.signal_lost_after_s);
    if (settings.Enabled(AlarmKind::kSignalLost) && lost &&
        !(v.open & Bit(AlarmKind::kSignalLost))) {
      v.open |= Bit(AlarmKind::kSignalLost);
      emit(AlarmSignal::Edge::kRaise, AlarmKind::kSignalLost,
           "已 " + DurationText(now_ms - v.heard_ms) + " 未收到定位");
    }
    const VehicleContext* context = v.context.get();
    const bool overdue = v.in_city && context && context->planned_exit_ms &&
                         now_ms > *context->planned_exit_ms + Ms(settings.overstay_grace_s);
    if (settings.Enabled(AlarmKind::kOverstay) && overdue &&
        !(v.open & Bit(AlarmKind::kOverstay))) {
      v.open |= Bit(AlarmKind::kOverstay);
      emit(AlarmSignal::Edge::kRaise, AlarmKind::kOverstay,
           "超过计划出城时间 " + DurationText(now_ms - *context->planned_exit_ms));
    }
  }
}

RuleEngine::VehicleStatus RuleEngine::StatusOf(const Vehicle& v, int64_t now_ms) const {
  VehicleStatus status;
  status.terminal = v.terminal;
  if (v.context) {
    status.plate = v.context->plate;
    status.plate_color = v.context->plate_color;
  }
  status.lat = v.lat;
  status.lon = v.lon;
  status.speed_kmh = v.speed_kmh;
  status.direction = v.direction;
  status.at_ms = v.at_ms;
  status.in_city = v.in_city;
  for (AlarmKind kind : AllAlarmKinds()) {
    const bool is_open = (v.open & Bit(kind)) ||
                         (kind == AlarmKind::kZoneEntry && !v.entry_open.empty()) ||
                         (kind == AlarmKind::kZoneExit && !v.exit_open.empty()) ||
                         (kind == AlarmKind::kTerminalAlarm && v.terminal_bits_open != 0);
    if (is_open)
      status.active.push_back(kind);
  }
  if (now_ms - v.heard_ms > Ms(rules_->settings.signal_lost_after_s))
    status.state = MotionState::kOffline;
  else if (!status.active.empty())
    status.state = MotionState::kAlarm;
  else
    status.state = v.moving ? MotionState::kMoving : MotionState::kStopped;
  return status;
}

void RuleEngine::Snapshot(int64_t now_ms, std::vector<VehicleStatus>& out) const {
  for (const auto& vehicle : vehicles_) {
    if (vehicle->has_position)
      out.push_back(StatusOf(*vehicle, now_ms));
  }
}

std::optional<RuleEngine::VehicleStatus> RuleEngine::Find(std::string_view terminal,
                                                          int64_t now_ms) const {
  const Vehicle* vehicle = FindVehicle(terminal, TerminalHash(terminal));
  if (!vehicle || !vehicle->has_position)
    return std::nullopt;
  return StatusOf(*vehicle, now_ms);
}

std::string_view MotionStateId(RuleEngine::MotionState state) {
  switch (state) {
    case RuleEngine::MotionState::kMoving:
      return "moving";
    case RuleEngine::MotionState::kStopped:
      return "stopped";
    case RuleEngine::MotionState::kAlarm:
      return "alarm";
    case RuleEngine::MotionState::kOffline:
      return "offline";
  }
  return "";
}

}  // namespace baotong::monitor
