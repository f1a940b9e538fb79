package prevlimiter

import "time"

const limiterSlots = 10

// window sums the answers of the window.
func (l *Limiter) window() counts {
	var c counts
	for _, s := range l.ring {
		c.ok += s.ok
		c.refused += s.refused
		c.firstOK += s.firstOK
		c.firstRefused += s.firstRefused
	}
	return c
}

// advance moves the ring of answer slots forward to now.
func (l *Limiter) advance(now time.Time) {
	slot := l.cfg.Window / limiterSlots
	if l.slotStart.IsZero() {
		l.slotStart = now
		return
	}
	for n := 0; now.Sub(l.slotStart) >= slot; n++ {
		if n >= limiterSlots {
			l.ring = [limiterSlots]counts{}
			l.slotStart = now
			break
		}
		l.slotStart = l.slotStart.Add(slot)
		l.slotIndex = (l.slotIndex + 1) % limiterSlots
		l.ring[l.slotIndex] = counts{}
	}
}

// span is the length of the window at now, shorter when since is more
// recent, but at least one slot.
func (l *Limiter) span(now, since time.Time) time.Duration {
	span := l.cfg.Window
	if d := now.Sub(since); !since.IsZero() && d < span {
		span = max(d, l.cfg.Window/limiterSlots)
	}
	return span
}

// successRate is the rate of successes over the window ending at now (or
// since the first success, when that is shorter, but at least one slot).
// Without any success in the window it is one success over the time since
// the first request, within the same bounds.
func (l *Limiter) successRate(now time.Time) float64 {
	l.advance(now)
	ok := l.window().ok
	since := l.firstOK
	if ok == 0 {
		ok, since = 1, l.firstTake
	}
	return float64(ok) / l.span(now, since).Seconds()
}
