package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/libct/libct/internal/quote"
	"github.com/libct/libct/oci"
)

func runSpec(g *globals, args []string) (int, error) {
	f := newFlags(g, "spec", "[--bundle DIR] [--rootless]")
	var bundle string
	var rootless bool
	f.StringVar(&bundle, "bundle", ".", "the bundle directory to write config.json in")
	f.StringVar(&bundle, "b", ".", "short for --bundle")
	f.BoolVar(&rootless, "rootless", false, "a config for a container run by an unprivileged user")
	pos, err := f.parse(args, true)
	if err != nil {
		return parseResult(err)
	}
	if len(pos) > 0 {
		return exitUsage, usagef("unexpected arguments %s", quote.Values(pos))
	}
	data, err := json.MarshalIndent(oci.DefaultSpec(rootless), "", "\t")
	if err != nil {
		return fail(err)
	}
	path := filepath.Join(bundle, "config.json")
	// O_EXCL: an existing config.json is never overwritten.
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fail(fmt.Errorf("%s exists already; remove it first", path))
		}
		return fail(err)
	}
	_, err = file.Write(append(data, '\n'))
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return fail(err)
}

func runFeatures(g *globals, args []string) (int, error) {
	f := newFlags(g, "features", "")
	pos, err := f.parse(args, true)
	if err != nil {
		return parseResult(err)
	}
	if len(pos) > 0 {
		return exitUsage, usagef("unexpected arguments %s", quote.Values(pos))
	}
	return fail(printJSON(oci.Features()))
}
