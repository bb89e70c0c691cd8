package e2e

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// writeLayerTar writes the tree at root as an uncompressed tar at dst:
// directories, regular files and symlinks with their modes and owners,
// named relative to root. It is both podman's import and the OCI layer.
func writeLayerTar(root, dst string) error {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(out)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = rel
		if info.IsDir() {
			hdr.Name += "/"
		}
		// Owners by number only: the image has its own passwd.
		hdr.Uname, hdr.Gname = "", ""
		hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		f.Close()
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// ociDescriptor is an OCI content descriptor.
type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// writeOCIArchive writes an OCI image layout (oci-layout, index.json,
// blobs/sha256/...) as a tar at dst: one image named name, of the one
// uncompressed layer at layerTar, for this machine's platform, with PATH
// set and /bin/sh as its command. ctr images import reads it.
func writeOCIArchive(layerTar, dst, name string) error {
	layer, err := os.ReadFile(layerTar)
	if err != nil {
		return err
	}
	layerDigest := digestOf(layer)
	config, err := imageConfig(layerDigest)
	if err != nil {
		return err
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        ociDescriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: digestOf(config), Size: int64(len(config))},
		"layers":        []ociDescriptor{{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: layerDigest, Size: int64(len(layer))}},
	})
	if err != nil {
		return err
	}
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"manifests": []ociDescriptor{{
			MediaType:   "application/vnd.oci.image.manifest.v1+json",
			Digest:      digestOf(manifest),
			Size:        int64(len(manifest)),
			Annotations: map[string]string{"org.opencontainers.image.ref.name": name},
		}},
	})
	if err != nil {
		return err
	}
	return writeTar(dst, []tarEntry{
		{name: "oci-layout", data: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{name: "blobs/", dir: true},
		{name: "blobs/sha256/", dir: true},
		{name: blobPath(layerDigest), data: layer},
		{name: blobPath(digestOf(config)), data: config},
		{name: blobPath(digestOf(manifest)), data: manifest},
		{name: "index.json", data: index},
	})
}

// imageConfig is the image's configuration: one layer of digest
// layerDigest, for this machine's platform, with PATH set and /bin/sh as
// its command.
func imageConfig(layerDigest string) ([]byte, error) {
	return json.Marshal(map[string]any{
		"created":      time.Now().UTC().Format(time.RFC3339),
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config": map[string]any{
			"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			"Cmd": []string{"/bin/sh"},
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layerDigest}},
	})
}

// tarEntry is a directory or a regular file of an archive.
type tarEntry struct {
	name string
	dir  bool
	data []byte
}

// writeTar writes entries, in order, as a tar at dst.
func writeTar(dst string, entries []tarEntry) error {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(out)
	now := time.Now()
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), ModTime: now, Typeflag: tar.TypeReg}
		if e.dir {
			hdr = &tar.Header{Name: e.name, Mode: 0o755, ModTime: now, Typeflag: tar.TypeDir}
		}
		if err = tw.WriteHeader(hdr); err == nil && !e.dir {
			_, err = tw.Write(e.data)
		}
		if err != nil {
			out.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func blobPath(digest string) string {
	return fmt.Sprintf("blobs/sha256/%s", digest[len("sha256:"):])
}

// writeDockerArchive writes the image of writeOCIArchive in the format of
// `docker save` (manifest.json, the config as <digest>.json and the
// layer as <digest>/layer.tar) at dst, tagged name: Docker 20.10's
// `docker load` reads no OCI layout.
func writeDockerArchive(layerTar, dst, name string) error {
	layer, err := os.ReadFile(layerTar)
	if err != nil {
		return err
	}
	layerDigest := digestOf(layer)
	config, err := imageConfig(layerDigest)
	if err != nil {
		return err
	}
	hexOf := func(digest string) string { return digest[len("sha256:"):] }
	configName := hexOf(digestOf(config)) + ".json"
	layerDir := hexOf(layerDigest)
	manifest, err := json.Marshal([]map[string]any{{
		"Config":   configName,
		"RepoTags": []string{name},
		"Layers":   []string{layerDir + "/layer.tar"},
	}})
	if err != nil {
		return err
	}
	return writeTar(dst, []tarEntry{
		{name: layerDir + "/", dir: true},
		{name: layerDir + "/VERSION", data: []byte("1.0")},
		{name: layerDir + "/layer.tar", data: layer},
		{name: configName, data: config},
		{name: "manifest.json", data: manifest},
	})
}
