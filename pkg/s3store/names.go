package s3store

import "strings"

// MaxKeyLen is S3's limit on the length of an object key, in bytes.
const MaxKeyLen = 1024

// ValidBucketName reports whether s follows S3's bucket naming rules:
// 3 to 63 lower-case letters, digits, '.' and '-', starting and ending
// with a letter or digit, with no "..".
func ValidBucketName(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (c != '.' && c != '-' || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return !strings.Contains(s, "..")
}

// Prefix returns the prefix of key as S3 scales and limits it: key up to
// and including its last '/', or "" for a key without one. Each prefix
// gets its own request rate, which S3 raises by splitting busy prefixes.
func Prefix(key string) string {
	return key[:strings.LastIndexByte(key, '/')+1]
}
