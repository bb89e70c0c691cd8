package libct

import (
	"time"

	"github.com/libct/libct/internal/faultpoint"
	"github.com/libct/libct/internal/spec"
)

// Phase is one step of a container's start and how long it took.
type Phase struct {
	Name     string
	Duration time.Duration
}

// WithTrace has the session report, after each start (Spawn, Prepare,
// Enter), how long each of its phases took: in the caller (validation,
// cgroup, clone, network...) and in the init stage (runtime start, root
// file system, credentials and security), up to the exec of the program.
// Tracing costs one more message from the init; without it, nothing.
func WithTrace(fn func(container string, phases []Phase)) SessionOption {
	return func(o *sessionOptions) { o.trace = fn }
}

// tracer collects the phases of one start; a nil tracer does nothing.
type tracer struct {
	last   time.Time
	phases []Phase
}

func newTracer(on bool) *tracer {
	if !on {
		return nil
	}
	return &tracer{last: time.Now()}
}

// mark ends the phase name now. It is a fault point too (a test build
// dies there when told to), so that every traced phase is one.
func (t *tracer) mark(name string) {
	faultpoint.Hit(name)
	if t == nil {
		return
	}
	t.at(name, time.Now())
}

// at ends the phase name at a time another process took. The init's
// phases overlap the caller's (its start, the caller's attach and network
// phase): one that ended before the last lasted nothing.
func (t *tracer) at(name string, when time.Time) {
	if when.Before(t.last) {
		when = t.last
	}
	t.phases = append(t.phases, Phase{Name: name, Duration: when.Sub(t.last)})
	t.last = when
}

// initPhases adds the phases the init stage reported.
func (t *tracer) initPhases(points []spec.TracePoint) {
	if t == nil {
		return
	}
	for _, p := range points {
		t.at("init: "+p.Name, time.Unix(0, p.At))
	}
}

// report hands the phases to the session's trace function.
func (t *tracer) report(s *Session, container string) {
	if t == nil || s.trace == nil {
		return
	}
	s.trace(container, t.phases)
}
