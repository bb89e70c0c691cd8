module github.com/libct/libct

go 1.26.0

require (
	github.com/containerd/console v1.0.5
	github.com/mailru/easyjson v0.9.2
	github.com/moby/sys/user v0.5.0
	github.com/opencontainers/runtime-spec v1.3.0
	github.com/vishvananda/netlink v1.3.1
	github.com/vishvananda/netns v0.0.5
	golang.org/x/sys v0.50.0
)

require github.com/josharian/intern v1.0.0 // indirect

tool github.com/mailru/easyjson/easyjson
