package keys

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/s3uploader/s3uploader/pkg/s3store"
)

// check refuses templates whose keys could be empty, leave the prefix or
// never be unique, judged from the template alone.
func (t *KeyTemplate) check() error {
	if len(t.parts) == 0 {
		return errors.New("is empty: every key would be empty (leave it unset for the default, " + DefaultKeyTemplate + ")")
	}
	unique := false
	for _, p := range t.parts {
		if p.kind == phKey || p.kind == phMessageID {
			unique = true
		}
		if p.kind != literal {
			continue
		}
		switch {
		case !utf8.ValidString(p.text):
			return errors.New("is not valid UTF-8")
		case strings.IndexFunc(p.text, unicode.IsControl) >= 0:
			return errors.New("contains a control character")
		}
	}
	if first := t.parts[0]; first.kind == literal && strings.HasPrefix(first.text, "/") ||
		first.kind == phSent && strings.HasPrefix(layoutProbeA.Format(first.text), "/") {
		return errors.New(`starts with "/": keys are relative to KEY_PREFIX`)
	}
	for _, p := range t.parts {
		if p.kind != phSent {
			continue
		}
		out := layoutProbeA.Format(p.text)
		if !utf8.ValidString(out) || strings.IndexFunc(out, unicode.IsControl) >= 0 {
			return fmt.Errorf("{sent:%s} gives invalid UTF-8 or a control character", p.text)
		}
		for seg := range strings.SplitSeq(out, "/") {
			if seg == "." || seg == ".." {
				return fmt.Errorf("{sent:%s} gives a %q segment: a key must stay under KEY_PREFIX", p.text, seg)
			}
		}
	}
	if n := t.literalLen(); n > s3store.MaxKeyLen {
		return fmt.Errorf("has %d bytes of fixed text, over S3's key limit of %d", n, s3store.MaxKeyLen)
	}
	for _, seg := range t.segments() {
		dots, others := seg.dotsOnly()
		switch {
		case !dots:
		case !others:
			return fmt.Errorf("has a %q segment: a key must stay under KEY_PREFIX", seg.text)
		case seg.mayHoldSlash:
			return fmt.Errorf("has a segment %q of dots and placeholders, which could render as \".\" or \"..\" and leave KEY_PREFIX", seg.text)
		}
	}
	if !unique {
		return errors.New("has neither {key} nor {messageId}, so two messages could get the same key and all but the first would fail as a Conflict")
	}
	return nil
}

// segment is one '/'-separated stretch of the template, as written.
type segment struct {
	text         string // as written, placeholders in braces
	lits         []string
	placeholders int
	mayHoldSlash bool // holds a placeholder whose value may hold or start a '/'
}

// dotsOnly reports whether the segment's fixed text is all dots (and not
// empty), and whether the segment holds placeholders too.
func (s segment) dotsOnly() (dots, others bool) {
	lit := strings.Join(s.lits, "")
	return lit != "" && strings.Trim(lit, ".") == "", s.placeholders > 0
}

func (t *KeyTemplate) segments() []segment {
	var segs []segment
	cur := segment{}
	for _, p := range t.parts {
		if p.kind != literal {
			cur.placeholders++
			cur.text += p.String()
			switch p.kind {
			case phKey, phAttr, phGroup:
				cur.mayHoldSlash = true
			case phSent:
				cur.mayHoldSlash = cur.mayHoldSlash || strings.ContainsRune(layoutProbeA.Format(p.text), '/')
			}
			continue
		}
		pieces := strings.Split(p.text, "/")
		for i, piece := range pieces {
			if i > 0 {
				segs = append(segs, cur)
				cur = segment{}
			}
			if piece != "" {
				cur.lits = append(cur.lits, piece)
				cur.text += piece
			}
		}
	}
	return append(segs, cur)
}
