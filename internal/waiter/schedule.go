package waiter

import "time"

// Schedule returns how long to wait after a poll made elapsed into the
// wait. Implementations must return at least MinInterval.
type Schedule func(elapsed time.Duration) time.Duration

// MinInterval is the floor every schedule is clamped to: never more than
// one request per second.
const MinInterval = time.Second

// DefaultSchedule polls densely while a quick operation may be finishing
// and backs off as the wait grows:
//
//	[0, 10s)    every 1 s
//	[10s, 60s)  every 1.5 s   → median notice delay ≤ 0.75 s for T ≤ 60 s
//	[60s, 200s) every 15 % of elapsed (9 s … 30 s) → median ≤ 7.5 % of T
//	≥ 200s      every 30 s    → median ≈ 15 s
//
// That is about 68 polls for a 10-minute create and 170 for an hour.
// Magnum itself refreshes cluster status from Heat only every 10 s, so
// polling a long wait faster would mostly re-read the same row.
func DefaultSchedule(elapsed time.Duration) time.Duration {
	switch {
	case elapsed < 10*time.Second:
		return time.Second
	case elapsed < 60*time.Second:
		return 1500 * time.Millisecond
	case elapsed < 200*time.Second:
		return elapsed * 15 / 100
	default:
		return 30 * time.Second
	}
}
