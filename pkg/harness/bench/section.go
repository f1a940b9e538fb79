package bench

import "strings"

// A section is a part of the report that another command writes (make
// fleet writes "fleet"), between the lines <!-- begin NAME --> and
// <!-- end NAME -->; make bench rewrites the rest and keeps it.

func sectionMarkers(name string) (string, string) {
	return "<!-- begin " + name + " -->", "<!-- end " + name + " -->"
}

// Section returns section name of doc, markers included, and whether doc
// has it.
func Section(doc, name string) (string, bool) {
	begin, end := sectionMarkers(name)
	i := strings.Index(doc, begin)
	if i < 0 {
		return "", false
	}
	j := strings.Index(doc[i:], end)
	if j < 0 {
		return "", false
	}
	return doc[i : i+j+len(end)], true
}

// SetSection returns doc with section name's body replaced by body, or
// with the section appended when doc has none.
func SetSection(doc, name, body string) string {
	begin, end := sectionMarkers(name)
	return putSection(doc, name, begin+"\n"+strings.TrimRight(body, "\n")+"\n"+end)
}

// KeepSection returns doc with section name of old carried over (in its
// place, if doc has the section, else at the end), or doc when old has
// none.
func KeepSection(doc, old, name string) string {
	sec, ok := Section(old, name)
	if !ok {
		return doc
	}
	return putSection(doc, name, sec)
}

// putSection puts sec, markers included, in place of doc's section name,
// or at its end.
func putSection(doc, name, sec string) string {
	if cur, ok := Section(doc, name); ok {
		return strings.Replace(doc, cur, sec, 1)
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + sec + "\n"
}
