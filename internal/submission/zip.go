package submission

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Limits of a zip file unpacked as a submission: more is refused, so that
// a zip bomb costs nothing.
const (
	MaxZipFiles = 20000   // entries
	MaxZipSize  = 1 << 30 // bytes, all files unpacked
)

// IsZip reports whether the file at name is a zip file, by its name.
func IsZip(name string) bool {
	return strings.EqualFold(filepath.Ext(name), ".zip")
}

// Unzip unpacks the zip file zipFile into the folder dir. Only regular
// files and folders are unpacked (symbolic links are skipped), each within
// dir; an entry whose path leaves dir, or a zip past MaxZipFiles or
// MaxZipSize, is an error.
func Unzip(zipFile, dir string) error {
	r, err := zip.OpenReader(zipFile)
	if err != nil {
		return fmt.Errorf("unzip: %w", err)
	}
	defer r.Close()
	if len(r.File) > MaxZipFiles {
		return fmt.Errorf("unzip: %d entries, more than %d", len(r.File), MaxZipFiles)
	}
	var total int64
	for _, f := range r.File {
		name := path.Clean(strings.ReplaceAll(f.Name, `\`, "/"))
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("unzip: entry %q is outside the zip's folder", f.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			continue
		case !mode.IsRegular():
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		n, err := unzipFile(f, target, MaxZipSize-total)
		if err != nil {
			return err
		}
		total += n
	}
	return nil
}

// unzipFile writes the zip entry f to target, and returns its size; past
// limit bytes it stops with an error.
func unzipFile(f *zip.File, target string, limit int64) (int64, error) {
	in, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("unzip: %s: %w", f.Name, err)
	}
	defer in.Close()
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(in, limit+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("unzip: %s: %w", f.Name, err)
	}
	if n > limit {
		return n, fmt.Errorf("unzip: more than %d MB unpacked", MaxZipSize>>20)
	}
	return n, nil
}
