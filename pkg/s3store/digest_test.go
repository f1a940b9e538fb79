package s3store

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestSameObject(t *testing.T) {
	const md5a, md5b = `"9e107d9d372bb6826bd81d3542a419d6"`, `"e4d909c290d0fb1ca068ffaddf22cbd0"`
	head := func(size int64, etag string, set func(*s3.HeadObjectOutput)) digest {
		h := &s3.HeadObjectOutput{ContentLength: aws.Int64(size), ETag: aws.String(etag)}
		if set != nil {
			set(h)
		}
		return digestOf(h)
	}
	crc := func(v string) func(*s3.HeadObjectOutput) {
		return func(h *s3.HeadObjectOutput) {
			h.ChecksumCRC64NVME = aws.String(v)
			h.ChecksumType = types.ChecksumTypeFullObject
		}
	}
	kms := func(h *s3.HeadObjectOutput) { h.ServerSideEncryption = types.ServerSideEncryptionAwsKms }
	tests := map[string]struct {
		a, b             digest
		same, comparable bool
	}{
		"same MD5 ETag":          {head(5, md5a, nil), head(5, md5a, nil), true, true},
		"other MD5 ETag":         {head(5, md5a, nil), head(5, md5b, nil), false, true},
		"other size":             {head(5, md5a, nil), head(6, md5a, nil), false, true},
		"same checksum":          {head(5, "a-2", crc("AAAAAAAAAAA=")), head(5, md5a, crc("AAAAAAAAAAA=")), true, true},
		"other checksum":         {head(5, md5a, crc("AAAAAAAAAAA=")), head(5, md5a, crc("BBBBBBBBBBB=")), false, true},
		"multipart ETag, no sum": {head(5, `"9e107d9d372bb6826bd81d3542a419d6-3"`, nil), head(5, md5a, nil), false, false},
		"KMS ETags are no MD5":   {head(5, md5a, kms), head(5, md5a, nil), false, false},
		"KMS, but a checksum":    {head(5, md5a, func(h *s3.HeadObjectOutput) { kms(h); crc("AAAAAAAAAAA=")(h) }), head(5, md5b, crc("AAAAAAAAAAA=")), true, true},
		"composite checksum": {head(5, "x-2", func(h *s3.HeadObjectOutput) {
			h.ChecksumCRC32 = aws.String("AAAAAA==-2")
			h.ChecksumType = types.ChecksumTypeComposite
		}), head(5, md5a, func(h *s3.HeadObjectOutput) { h.ChecksumCRC32 = aws.String("AAAAAA==") }), false, false},
		"different algorithms":   {head(5, "x-2", crc("AAAAAAAAAAA=")), head(5, md5a, func(h *s3.HeadObjectOutput) { h.ChecksumCRC32 = aws.String("AAAAAA==") }), false, false},
		"other size, no digests": {head(5, "x-2", nil), head(7, "y-2", nil), false, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			same, comparable := sameObject(tc.a, tc.b)
			if same != tc.same || comparable != tc.comparable {
				t.Errorf("sameObject(%+v, %+v) = %v, %v; want %v, %v", tc.a, tc.b, same, comparable, tc.same, tc.comparable)
			}
		})
	}
}

func TestCopySource(t *testing.T) {
	tests := map[string]string{
		"a/b.txt":    "bkt/a/b.txt",
		"a b+c/é?#%": "bkt/a%20b%2Bc/%C3%A9%3F%23%25",
		"x~y_z-1.2":  "bkt/x~y_z-1.2",
	}
	for key, want := range tests {
		if got := copySource("bkt", key); got != want {
			t.Errorf("copySource(bkt, %q) = %q; want %q", key, got, want)
		}
	}
}
