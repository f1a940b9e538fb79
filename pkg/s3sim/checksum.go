package s3sim

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// Checksum verifies the integrity headers of every request with a body, as
// S3 does, before passing it on: Content-MD5, x-amz-content-sha256 (when it
// is a hex digest rather than UNSIGNED-PAYLOAD or a STREAMING-* marker), and
// the flexible checksums x-amz-checksum-crc32, -crc32c, -sha1 and -sha256,
// sent as a header (the SDK's choice over plain HTTP) or as the trailer of an
// aws-chunked body (its choice over HTTPS). A mismatch is answered 400
// BadDigest (XAmzContentSHA256Mismatch for the payload hash), and the request
// never reaches next. An aws-chunked body is decoded, so next sees a plain
// body and Content-Length. Use NewChecksum.
//
// gofakes3, behind NewMemory, checks Content-MD5 but ignores the other
// headers: put Checksum in front of it to catch a body damaged on the way.
type Checksum struct {
	next http.Handler

	verified, mismatched, unchecked atomic.Int64
}

// ChecksumStats counts what a Checksum saw on requests with a body.
type ChecksumStats struct {
	Verified   int64 // at least one checksum checked, all matched
	Mismatched int64 // answered BadDigest (or XAmzContentSHA256Mismatch)
	Unchecked  int64 // a body with no checksum at all: passed on unverified
}

// NewChecksum returns a Checksum in front of next.
func NewChecksum(next http.Handler) *Checksum { return &Checksum{next: next} }

// Stats returns the counts so far.
func (c *Checksum) Stats() ChecksumStats {
	return ChecksumStats{Verified: c.verified.Load(), Mismatched: c.mismatched.Load(), Unchecked: c.unchecked.Load()}
}

// checksumAlgorithms maps the flexible checksum headers S3 accepts to their
// hashes. CRC64NVME is not verified here.
var checksumAlgorithms = map[string]func() hash.Hash{
	"x-amz-checksum-crc32":  func() hash.Hash { return crc32.NewIEEE() },
	"x-amz-checksum-crc32c": func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"x-amz-checksum-sha1":   sha1.New,
	"x-amz-checksum-sha256": sha256.New,
}

// ServeHTTP verifies r and passes it on, or answers the mismatch.
func (c *Checksum) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		c.next.ServeHTTP(w, r)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		WriteError(w, r, http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
		return
	}
	body := raw
	want := map[string]string{} // header name → base64 digest
	for name := range checksumAlgorithms {
		if v := r.Header.Get(name); v != "" {
			want[name] = v
		}
	}
	if isAWSChunked(r.Header.Get("Content-Encoding")) {
		decoded, trailers, err := decodeAWSChunked(raw)
		if err != nil {
			WriteError(w, r, http.StatusBadRequest, "IncompleteBody", "The aws-chunked body is malformed: "+err.Error())
			return
		}
		for name, v := range trailers {
			if _, ok := checksumAlgorithms[name]; ok {
				want[name] = v
			}
		}
		body = decoded
		stripAWSChunked(r, len(body))
	}
	checked := false
	if v := r.Header.Get("Content-MD5"); v != "" {
		checked = true
		sum := md5.Sum(body)
		if v != base64.StdEncoding.EncodeToString(sum[:]) {
			c.mismatched.Add(1)
			WriteError(w, r, http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
			return
		}
	}
	if v := r.Header.Get("X-Amz-Content-Sha256"); isHexSHA256(v) {
		checked = true
		sum := sha256.Sum256(body)
		if !strings.EqualFold(v, hex.EncodeToString(sum[:])) {
			c.mismatched.Add(1)
			WriteError(w, r, http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
			return
		}
	}
	for name, v := range want {
		checked = true
		h := checksumAlgorithms[name]()
		h.Write(body)
		if v != base64.StdEncoding.EncodeToString(h.Sum(nil)) {
			c.mismatched.Add(1)
			algo := strings.ToUpper(strings.TrimPrefix(name, "x-amz-checksum-"))
			WriteError(w, r, http.StatusBadRequest, "BadDigest", "The "+algo+" you specified did not match the calculated checksum.")
			return
		}
	}
	if checked {
		c.verified.Add(1)
	} else if len(body) > 0 {
		c.unchecked.Add(1)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	c.next.ServeHTTP(w, r)
}

func isAWSChunked(contentEncoding string) bool {
	for part := range strings.SplitSeq(contentEncoding, ",") {
		if strings.EqualFold(strings.TrimSpace(part), "aws-chunked") {
			return true
		}
	}
	return false
}

func isHexSHA256(v string) bool {
	if len(v) != sha256.Size*2 {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}

// stripAWSChunked makes r look like a plain upload of n bytes.
func stripAWSChunked(r *http.Request, n int) {
	var rest []string
	for part := range strings.SplitSeq(r.Header.Get("Content-Encoding"), ",") {
		if p := strings.TrimSpace(part); p != "" && !strings.EqualFold(p, "aws-chunked") {
			rest = append(rest, p)
		}
	}
	if len(rest) > 0 {
		r.Header.Set("Content-Encoding", strings.Join(rest, ","))
	} else {
		r.Header.Del("Content-Encoding")
	}
	r.Header.Del("X-Amz-Decoded-Content-Length")
	r.Header.Del("X-Amz-Trailer")
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	r.Header.Set("Content-Length", strconv.Itoa(n))
	r.ContentLength = int64(n)
}

// decodeAWSChunked decodes an unsigned aws-chunked body:
//
//	<hex size>[;chunk-signature=...]\r\n<data>\r\n ... 0\r\n<name>:<value>\r\n...\r\n
//
// and returns the data and the trailers, names in lower case.
func decodeAWSChunked(raw []byte) ([]byte, map[string]string, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	var out bytes.Buffer
	for {
		line, err := readCRLFLine(br)
		if err != nil {
			return nil, nil, fmt.Errorf("chunk header: %w", err)
		}
		sizeText, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseUint(strings.TrimSpace(sizeText), 16, 31)
		if err != nil {
			return nil, nil, fmt.Errorf("chunk size %q: %w", line, err)
		}
		if size == 0 {
			break
		}
		if _, err := io.CopyN(&out, br, int64(size)); err != nil {
			return nil, nil, fmt.Errorf("chunk data: %w", err)
		}
		if crlf, err := readCRLFLine(br); err != nil || crlf != "" {
			return nil, nil, errors.New("chunk data not followed by CRLF")
		}
	}
	trailers := map[string]string{}
	for {
		line, err := readCRLFLine(br)
		if err != nil {
			return nil, nil, fmt.Errorf("trailer: %w", err)
		}
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, fmt.Errorf("trailer %q has no ':'", line)
		}
		trailers[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, nil, errors.New("bytes after the final CRLF")
	}
	return out.Bytes(), trailers, nil
}

func readCRLFLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", errors.New("line not ended by CRLF")
	}
	return strings.TrimSuffix(line, "\r\n"), nil
}

// CRC32 returns the base64 CRC32 of b, as S3 and the SDK write it in
// x-amz-checksum-crc32.
func CRC32(b []byte) string {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(sum[:])
}
