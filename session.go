package libct

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/internal/state"
)

// DefaultRoot is where a local session keeps its containers' state.
const DefaultRoot = "/run/libct"

// Session is the entry to a backend: everyone working with containers
// opens one first. The one backend today is "local": containers are child
// tasks of the calling process, built from namespaces and cgroups, and
// their state lives in a directory (the root) shared by every process that
// opens a session on it. A container created by one session can be
// opened, killed and destroyed by another, in this process or any other.
//
// Lifetime rule: Close destroys every container this session started,
// unless the container has the Detached option; detached containers keep
// running and stay in the root until some session destroys them.
//
// A Session is safe for concurrent use.
type Session struct {
	store *state.Store

	mu     sync.Mutex
	closed bool
	// started holds the containers whose init this session started: their
	// handles own the child process, for Wait and Close.
	started map[string]*Container
	// self is the binary the inits run (see initBinary), opened at the
	// first start.
	self *os.File
	// warnings receives failures that do not fail an operation.
	warnings func(error)
	// trace receives the phases of every start (WithTrace).
	trace func(string, []Phase)
	// waitFor bounds waits for processes to die (see waitLimit).
	waitFor time.Duration
	// poststartFails makes a failed poststart hook fail its start
	// (WithFailingPoststart).
	poststartFails bool
}

func (s *Session) warn(err error) {
	if s.warnings != nil {
		s.warnings(err)
	}
}

// SessionOption configures Open.
type SessionOption func(*sessionOptions)

type sessionOptions struct {
	root  string
	warn  func(error)
	trace func(string, []Phase)
	// waitLimit bounds waits for processes to die (WithWaitLimit).
	waitLimit time.Duration
	// poststartFails: WithFailingPoststart.
	poststartFails bool
}

// WithRoot sets the directory that holds the containers' state, instead
// of DefaultRoot.
func WithRoot(dir string) SessionOption {
	return func(o *sessionOptions) { o.root = dir }
}

// WithWarnings sets where the session reports failures that do not fail
// an operation: poststart and poststop hooks. By default they are
// dropped.
func WithWarnings(fn func(error)) SessionOption {
	return func(o *sessionOptions) { o.warn = fn }
}

// WithFailingPoststart makes a poststart hook that fails fail the start
// that ran it, as runc does (the runtime spec asks only for a warning):
// the container's processes are killed and the hook's error returned. A
// Spawn then leaves nothing behind; a Start leaves the container stopped.
func WithFailingPoststart() SessionOption {
	return func(o *sessionOptions) { o.poststartFails = true }
}

// Open opens a session. url selects the backend: "local" or "" for the
// local backend; any other URL is a *URLError (errors.Is
// ErrUnsupportedURL).
func Open(url string, opts ...SessionOption) (*Session, error) {
	if url != "" && url != "local" {
		return nil, &URLError{URL: url}
	}
	o := sessionOptions{root: DefaultRoot}
	for _, opt := range opts {
		opt(&o)
	}
	if o.root == "" || o.root[0] != '/' {
		return nil, invalid("root", "%s is not an absolute path", quote.Value(o.root))
	}
	store, err := state.NewStore(o.root)
	if err != nil {
		return nil, err
	}
	return &Session{store: store, started: make(map[string]*Container), warnings: o.warn, trace: o.trace, waitFor: o.waitLimit, poststartFails: o.poststartFails}, nil
}

// Root is the directory holding the containers' state.
func (s *Session) Root() string { return s.store.Root() }

// Create makes a new container named name with a copy of cfg (nil: an
// empty container), in the stopped state. Names are letters, digits and
// "_.+-", up to 128 bytes; a name in use is an error matching ErrExist.
func (s *Session) Create(name string, cfg *Config) (*Container, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := validateName(name); err != nil {
		return nil, err
	}
	if cfg == nil {
		cfg = &Config{}
	}
	cfg = cfg.clone()
	cfg.Network.Generate()
	cfg.defaultCgroupPath(name)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	dir, err := s.store.Create(name, map[string]any{configFile: cfg, stateFile: &record{}})
	if err != nil {
		return nil, err
	}
	return &Container{session: s, name: name, dir: dir}, nil
}

// Container opens an existing container by name (libct's container open),
// whoever created it. It fails with an error matching ErrNotExist.
func (s *Session) Container(name string) (*Container, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := validateName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	c := s.started[name]
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	dir, err := s.store.Open(name)
	if err != nil {
		return nil, err
	}
	return &Container{session: s, name: name, dir: dir}, nil
}

// List returns the names of all containers in the session's root.
func (s *Session) List() ([]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return s.store.List()
}

// Close ends the session: containers it started are destroyed unless they
// are Detached (see Session). Close is idempotent.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	started := s.started
	s.started = nil
	self := s.self
	s.self = nil
	s.mu.Unlock()

	var errs []error
	for _, c := range started {
		cfg, err := c.Config()
		if err == nil && cfg.Options&Detached != 0 {
			c.release()
			continue
		}
		if err := c.Destroy(); err != nil && !errors.Is(err, ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if self != nil {
		self.Close()
	}
	return errors.Join(errs...)
}

func (s *Session) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

// sealedBinary returns the session's sealed copy of the running binary.
func (s *Session) sealedBinary() (*os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.self == nil {
		f, err := initBinary()
		if err != nil {
			return nil, fmt.Errorf("prepare init binary: %w", err)
		}
		s.self = f
	}
	return s.self, nil
}

func (s *Session) track(c *Container) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started != nil {
		s.started[c.name] = c
	}
}

func (s *Session) forget(c *Container) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started[c.name] == c {
		delete(s.started, c.name)
	}
}
