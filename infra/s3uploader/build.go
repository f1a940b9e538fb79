package s3uploader

import (
	"context"
	"path/filepath"

	"github.com/s3uploader/s3uploader/pkg/rie"
)

// functionPackage is the function's main package. By its import path, so
// that an app in another module that imports this one builds it too.
const functionPackage = "github.com/s3uploader/s3uploader/functions/uploader"

// BuildBootstrap compiles the function for Lambda (linux, the GOARCH of
// arch, with the flags of the deployed build: rie.BuildBootstrap) into
// root/.build/uploader/linux-<goarch>/bootstrap and returns that folder,
// absolute.
func BuildBootstrap(root, arch string) (string, error) {
	dir, err := filepath.Abs(filepath.Join(root, ".build", "uploader", "linux-"+goarch(arch)))
	if err != nil {
		return "", err
	}
	return dir, rie.BuildBootstrap(context.Background(), root, functionPackage, goarch(arch), filepath.Join(dir, "bootstrap"))
}

// goarch maps a Lambda architecture name to GOARCH.
func goarch(arch string) string {
	if arch == "x86_64" {
		return "amd64"
	}
	return "arm64"
}
