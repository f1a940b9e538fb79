package s3store

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// digest is what S3 says of an object's content without reading it.
type digest struct {
	size      int64
	etag      string            // as S3 gives it, quotes removed
	checksums map[string]string // algorithm → full-object checksum
	md5ETag   bool              // the ETag is the MD5 of the bytes
}

// digestOf reads the digest of an object from its HeadObject answer
// (asked with ChecksumMode ENABLED).
func digestOf(h *s3.HeadObjectOutput) digest {
	d := digest{size: aws.ToInt64(h.ContentLength), etag: strings.Trim(aws.ToString(h.ETag), `"`), checksums: map[string]string{}}
	// A multipart object's ETag is "<md5 of the parts' md5s>-<parts>", and
	// one encrypted with SSE-KMS or SSE-C has an ETag that is no MD5.
	encrypted := h.ServerSideEncryption == types.ServerSideEncryptionAwsKms ||
		h.ServerSideEncryption == types.ServerSideEncryptionAwsKmsDsse || h.SSECustomerAlgorithm != nil
	d.md5ETag = len(d.etag) == 32 && !strings.Contains(d.etag, "-") && !encrypted
	if h.ChecksumType == types.ChecksumTypeComposite {
		return d // checksums of parts depend on how it was split
	}
	for algo, v := range map[string]*string{
		"CRC64NVME": h.ChecksumCRC64NVME, "CRC32": h.ChecksumCRC32, "CRC32C": h.ChecksumCRC32C,
		"SHA1": h.ChecksumSHA1, "SHA256": h.ChecksumSHA256,
	} {
		if c := aws.ToString(v); c != "" && !strings.Contains(c, "-") {
			d.checksums[algo] = c
		}
	}
	return d
}

// sameObject reports whether a and b hold the same bytes as far as their
// digests tell: a different size says no; a full-object checksum of one
// algorithm both have, or MD5 ETags on both, decide. comparable is false
// when nothing decides.
func sameObject(a, b digest) (same, comparable bool) {
	if a.size != b.size {
		return false, true
	}
	matched := false
	for algo, ca := range a.checksums {
		if cb, ok := b.checksums[algo]; ok {
			if ca != cb {
				return false, true
			}
			matched = true
		}
	}
	if matched {
		return true, true
	}
	if a.md5ETag && b.md5ETag {
		return strings.EqualFold(a.etag, b.etag), true
	}
	return false, false
}
