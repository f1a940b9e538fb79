package deployed

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 is the part of the S3 client FetchCode uses.
type S3 interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// FetchCode downloads the function's code zip from where the stack's
// deployment put it, checks it against the function's CodeSha256 (so what
// runs locally is exactly what is deployed), and unpacks it into dir. It
// returns the path of the unpacked bootstrap.
func (s *Stack) FetchCode(ctx context.Context, c S3, dir string) (string, error) {
	if s.CodeBucket == "" || s.CodeKey == "" {
		return "", fmt.Errorf("function %s: code location not found in the template", s.FunctionName)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.CodeBucket), Key: aws.String(s.CodeKey)})
	if err != nil {
		return "", fmt.Errorf("get code s3://%s/%s: %w", s.CodeBucket, s.CodeKey, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return "", fmt.Errorf("read code: %w", err)
	}
	sum := sha256.Sum256(data)
	if got, want := base64.StdEncoding.EncodeToString(sum[:]), aws.ToString(s.Function.CodeSha256); want != "" && got != want {
		return "", fmt.Errorf("code s3://%s/%s has SHA-256 %s; the function's CodeSha256 is %s", s.CodeBucket, s.CodeKey, got, want)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fmt.Errorf("code is not a zip: %w", err)
	}
	for _, f := range zr.File {
		name := filepath.Clean(f.Name)
		if filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
			return "", fmt.Errorf("code zip entry %q escapes its folder", f.Name)
		}
		dst := filepath.Join(dir, name)
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return "", err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", err
		}
		if err := extract(f, dst); err != nil {
			return "", err
		}
	}
	bootstrap := filepath.Join(dir, "bootstrap")
	if _, err := os.Stat(bootstrap); err != nil {
		return "", fmt.Errorf("code zip has no bootstrap: %w", err)
	}
	// Lambda runs bootstrap whatever its mode in the zip.
	if err := os.Chmod(bootstrap, 0o755); err != nil {
		return "", err
	}
	return bootstrap, nil
}

func extract(f *zip.File, dst string) error {
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	mode := f.Mode().Perm() | 0o600
	w, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
