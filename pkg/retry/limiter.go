package retry

import (
	"math"
	"sync"
	"time"
)

// Limiter paces the requests of every caller sharing it once the server has
// throttled them: an adaptive send rate (additive and proportional increase,
// multiplicative decrease), in the spirit of the AWS SDKs' adaptive retry
// mode but driven by the rate the server actually accepted.
//
// Until the first throttle a Limiter does not limit. A throttle sets the rate
// to Beta times the rate of successes measured over the last Window (never
// above the current rate); only a request sent after the last decrease can
// decrease it again, so one burst of throttles answered to requests already
// in flight counts once. A window without a single success measures nothing,
// so it counts as one success over the time since the first request (at
// least a tenth of the Window): the first throttle of a client whose very
// first requests were all refused lands at a few requests per second, not at
// MinRate. Each success raises the rate by (Alpha + Gamma×rate) per second
// elapsed; between the first throttle and the second, by (Alpha +
// StartGamma×rate): the first decrease is measured over milliseconds, not a
// Window, and often lands well below what the server accepts, so the
// Limiter climbs back fast (doubling in under 1.5 s at the default, as TCP's
// slow start does) until the server says "enough" again. After Quiet
// without a single throttle it climbs at that fast pace again, until the
// next throttle: a storm of throttles that cut the rate to the floor costs a
// warm process seconds, not minutes.
//
// Callers ask for a send slot with Take right before each request. A caller
// told to wait asks again when the wait is over, so waiting callers always
// go at the current rate: a decrease slows them at once and an increase
// speeds them up, rather than their sending on a schedule booked at an older
// rate.
//
// Methods take the current time, so the Limiter holds no clock of its own.
// A Limiter is safe for concurrent use. Use NewLimiter; zero fields of the
// LimiterConfig take their defaults.
type Limiter struct {
	cfg LimiterConfig

	mu         sync.Mutex
	enabled    bool
	rate       float64 // requests per second
	tokens     float64
	last       time.Time // last refill
	lastRaise  time.Time
	lastCut    time.Time
	slots      []int // successes per slot, a ring over Window
	slotStart  time.Time
	slotIndex  int
	firstStart time.Time // first success
	firstTake  time.Time // first request
	starting   bool      // between the first throttle and the second
	throttled  time.Time // last throttle seen, counted or not
}

// LimiterConfig holds the Limiter's settings; the zero value means defaults.
type LimiterConfig struct {
	Beta  float64 // factor applied on a throttle; default 0.85
	Alpha float64 // additive increase, requests/s per second; default 0.5
	Gamma float64 // proportional increase per second; default 0.05
	// StartGamma is the proportional increase per second between the first
	// throttle and the second; default 0.5, never below Gamma.
	StartGamma float64
	// Quiet is how long without any throttle puts the Limiter back to its
	// fast climb (StartGamma) until the next throttle; default 5s. After a
	// storm of throttles has cut the rate to the floor, this is what brings
	// a warm process back to full speed in seconds rather than minutes.
	Quiet   time.Duration
	MinRate float64       // floor, requests/s; default 1
	Burst   float64       // tokens the bucket holds; default 1
	Window  time.Duration // success-rate window; default 1s
}

const limiterSlots = 10

// NewLimiter returns a Limiter that does not limit until its first throttle.
func NewLimiter(cfg LimiterConfig) *Limiter {
	if cfg.Beta <= 0 || cfg.Beta >= 1 {
		cfg.Beta = 0.85
	}
	if cfg.Alpha <= 0 {
		cfg.Alpha = 0.5
	}
	if cfg.Gamma < 0 {
		cfg.Gamma = 0
	} else if cfg.Gamma == 0 {
		cfg.Gamma = 0.05
	}
	if cfg.StartGamma <= 0 {
		cfg.StartGamma = 0.5
	}
	cfg.StartGamma = max(cfg.StartGamma, cfg.Gamma)
	if cfg.MinRate <= 0 {
		cfg.MinRate = 1
	}
	if cfg.Quiet <= 0 {
		cfg.Quiet = 5 * time.Second
	}
	if cfg.Burst < 1 {
		cfg.Burst = 1
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Second
	}
	return &Limiter{cfg: cfg, slots: make([]int, limiterSlots)}
}

// Take takes a send slot at now and returns 0 when the caller may send at
// once. Otherwise it takes nothing and returns how long the caller should
// wait before calling Take again.
func (l *Limiter) Take(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.firstTake.IsZero() {
		l.firstTake = now
	}
	if !l.enabled {
		return 0
	}
	l.refill(now)
	const slack = 1e-9 // float rounding: a caller that waited as told gets its slot
	if l.tokens >= 1-slack {
		l.tokens--
		return 0
	}
	return time.Duration(math.Ceil((1 - l.tokens) / l.rate * float64(time.Second)))
}

// Throttled records that a request sent at sentAt was throttled, seen at now.
func (l *Limiter) Throttled(sentAt, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttled = now
	if l.enabled && sentAt.Before(l.lastCut) {
		return // sent before the last decrease: already accounted for
	}
	l.starting = !l.enabled
	measured := l.successRate(now)
	if l.enabled {
		l.refill(now)
		measured = min(measured, l.rate)
	} else {
		l.enabled = true
		l.tokens = 0
		l.last = now
	}
	l.rate = max(l.cfg.MinRate, measured*l.cfg.Beta)
	l.tokens = min(l.tokens, l.cfg.Burst)
	l.lastCut = now
	l.lastRaise = now
}

// Succeeded records a success at now.
func (l *Limiter) Succeeded(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advance(now)
	l.slots[l.slotIndex]++
	if !l.enabled {
		return
	}
	l.refill(now)
	if dt := now.Sub(l.lastRaise).Seconds(); dt > 0 {
		if now.Sub(l.throttled) >= l.cfg.Quiet {
			l.starting = true // quiet for a while: probe fast again
		}
		gamma := l.cfg.Gamma
		if l.starting {
			gamma = l.cfg.StartGamma
		}
		l.rate += dt * (l.cfg.Alpha + gamma*l.rate)
		l.lastRaise = now
	}
}

// Rate returns the current send rate in requests per second, and false when
// the Limiter is not limiting yet.
func (l *Limiter) Rate() (float64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate, l.enabled
}

func (l *Limiter) refill(now time.Time) {
	if dt := now.Sub(l.last).Seconds(); dt > 0 {
		l.tokens = min(l.cfg.Burst, l.tokens+dt*l.rate)
		l.last = now
	}
}

// advance moves the ring of success slots forward to now.
func (l *Limiter) advance(now time.Time) {
	slot := l.cfg.Window / limiterSlots
	if l.firstStart.IsZero() {
		l.firstStart, l.slotStart = now, now
		return
	}
	for n := 0; now.Sub(l.slotStart) >= slot; n++ {
		if n >= limiterSlots {
			clear(l.slots)
			l.slotStart = now
			break
		}
		l.slotStart = l.slotStart.Add(slot)
		l.slotIndex = (l.slotIndex + 1) % limiterSlots
		l.slots[l.slotIndex] = 0
	}
}

// successRate is the rate of successes over the window ending at now (or
// since the first success, when that is shorter, but at least one slot).
// Without any success in the window it is one success over the time since
// the first request, within the same bounds.
func (l *Limiter) successRate(now time.Time) float64 {
	l.advance(now)
	total := 0
	for _, n := range l.slots {
		total += n
	}
	since := l.firstStart
	if total == 0 {
		total, since = 1, l.firstTake
	}
	span := l.cfg.Window
	if d := now.Sub(since); !since.IsZero() && d < span {
		span = max(d, l.cfg.Window/limiterSlots)
	}
	return float64(total) / span.Seconds()
}
