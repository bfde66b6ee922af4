#include "nse/session.h"

namespace nacre {

UnixNanos SessionOpen(const CivilDate& d, const SessionHours& h) {
  return FromIst(CivilDateTime{d, h.open_minute / 60, h.open_minute % 60, 0, 0});
}

UnixNanos SessionClose(const CivilDate& d, const SessionHours& h) {
  return FromIst(CivilDateTime{d, h.close_minute / 60, h.close_minute % 60, 0, 0});
}

int IstMinuteOfDay(UnixNanos t) {
  const CivilDateTime c = ToIst(t);
  return c.hour * 60 + c.minute;
}

}  // namespace nacre
