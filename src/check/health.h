// Rise/fall hysteresis, with HAProxy's arithmetic (src/check.c, check->health):
//
//   health:  0 .. rise-1         rise .. rise+fall-1
//            DOWN                UP
//            ^ a failure drops to 0          a success jumps to rise+fall-1 ^
//
// A server DOWN at health h needs rise-h good results in a row to come UP; one bad result
// on the way resets it to 0. A server fully UP needs `fall` bad results in a row to go
// DOWN; one good result resets it to fully UP. Between the two ends the check runs at
// `fastinter` ("transitioning").
#pragma once

#include <algorithm>
#include <cstdint>

#include "config/model.h"

namespace sluice::check {

class Health {
 public:
  enum class Flip : uint8_t { None, Up, Down };

  Health(uint32_t rise, uint32_t fall, config::InitState init = config::InitState::Up)
      : rise_(std::max<uint32_t>(rise, 1)), fall_(std::max<uint32_t>(fall, 1)) {
    switch (init) {
      case config::InitState::Up: health_ = rise_; break;           // one failure takes it down
      case config::InitState::FullyUp: health_ = max(); break;
      case config::InitState::Down: health_ = rise_ - 1; break;     // one success brings it up
      case config::InitState::FullyDown: health_ = 0; break;
    }
  }

  // One check result. Returns the flip it causes, if any.
  Flip observe(bool ok) {
    bool was_up = up();
    if (ok) {
      if (health_ < max()) ++health_;
      if (health_ >= rise_) health_ = max();
    } else {
      if (health_ > rise_) --health_;
      else health_ = 0;
    }
    return flip_from(was_up);
  }
  // on-error mark-down: DOWN now.
  Flip force_down() {
    bool was_up = up();
    health_ = 0;
    return flip_from(was_up);
  }
  // on-error sudden-death: the next failure takes an UP server down.
  void pre_fatal() {
    if (up()) health_ = rise_;
  }

  bool up() const { return health_ >= rise_; }
  bool transitioning() const { return health_ != 0 && health_ != max(); }
  uint32_t value() const { return health_; }
  uint32_t max() const { return rise_ + fall_ - 1; }

 private:
  Flip flip_from(bool was_up) const {
    if (was_up == up()) return Flip::None;
    return up() ? Flip::Up : Flip::Down;
  }
  uint32_t rise_, fall_;
  uint32_t health_ = 0;
};

}  // namespace sluice::check
