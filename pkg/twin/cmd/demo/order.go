package main

import (
	"fmt"
	"path"
)

// checkOrder checks, for each FIFO message group, that its messages
// stored byte-exact were stored in the order sent: in the order S3
// answered "stored" for their objects at the proxy (storeOrder), which
// is when the function learned it. It sets Groups, OutOfOrder (a line per
// group whose order broke, naming the first pair) and OrderUnseen
// (objects stored with no answer seen: an attempt cut off after S3 stored
// it, and the message dead-lettered before a redelivery asked again).
func (s *Summary) checkOrder(sent []sentMessage, bucket string, stored *storeOrder) {
	type last struct {
		at  int
		key string
	}
	prev := map[string]last{}
	broken := map[string]bool{}
	var groups []string
	for _, m := range sent {
		if m.Group == "" {
			continue
		}
		if _, seen := prev[m.Group]; !seen {
			groups = append(groups, m.Group)
			prev[m.Group] = last{}
		}
		if m.Object != objectExact {
			continue
		}
		at, ok := stored.at(bucket, m.ObjectKey)
		if !ok {
			s.OrderUnseen++
			continue
		}
		p := prev[m.Group]
		if at < p.at && !broken[m.Group] {
			broken[m.Group] = true
			s.OutOfOrder = append(s.OutOfOrder, fmt.Sprintf("%s: %s stored before %s", m.Group, path.Base(m.ObjectKey), path.Base(p.key)))
		}
		if at > p.at {
			prev[m.Group] = last{at: at, key: m.ObjectKey}
		}
	}
	s.Groups = len(groups)
}
