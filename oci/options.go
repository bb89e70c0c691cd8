package oci

// Option changes how Convert and ConvertProcess translate a spec.
type Option func(*options)

type options struct {
	warn func(*FieldError)
}

func collectOptions(opts []Option) options {
	o := options{warn: func(*FieldError) {}}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithWarnings hands warn each field that Convert or ConvertProcess drops
// rather than refuses, because the runtime spec asks a runtime to go on
// without it. Today these are the capabilities that the kernel does not
// know or that the caller cannot grant (not in its bounding set), of
// which the spec (config.md, Linux Process) says: "Any value which cannot
// be mapped to a relevant kernel interface, or cannot be granted
// otherwise MUST be logged as a warning by the runtime. Runtimes SHOULD
// NOT fail if the container configuration requests capabilities that
// cannot be granted". Letters of a device rule's access other than r, w
// and m are dropped the same way (runc ignores them too, and specs in use
// have them). Without WithWarnings they are dropped silently.
func WithWarnings(warn func(*FieldError)) Option {
	return func(o *options) {
		if warn != nil {
			o.warn = warn
		}
	}
}
