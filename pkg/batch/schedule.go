package batch

import "github.com/aws/aws-lambda-go/events"

// submit runs job on one of the Processor's Concurrency workers, waiting
// for a free one.
func (p *Processor) submit(job func()) {
	p.startWorkers.Do(func() {
		p.jobs = make(chan func())
		for range p.concurrency() {
			go func() {
				for job := range p.jobs {
					job()
				}
			}()
		}
	})
	p.jobs <- job
}

// groups splits record indexes into units that run in order: one per FIFO
// message group, or one per record for standard queues.
func groups(recs []events.SQSMessage, fifo bool) [][]int {
	var out [][]int
	if !fifo {
		for i := range recs {
			out = append(out, []int{i})
		}
		return out
	}
	index := make(map[string]int)
	for i, r := range recs {
		g := r.Attributes["MessageGroupId"]
		k, ok := index[g]
		if !ok {
			k = len(out)
			index[g] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], i)
	}
	return out
}

// interleave orders the groups round-robin by the retry scope of their
// first record, keeping the order within each scope: a prefix whose sends
// are paced does not take every upload slot while records of other
// prefixes wait behind it.
func (p *Processor) interleave(recs []events.SQSMessage, gs [][]int) [][]int {
	if len(gs) < 2 {
		return gs
	}
	var order []string
	byScope := make(map[string][][]int)
	for _, g := range gs {
		sc := p.scope(p.keyOf(recs[g[0]]))
		if _, ok := byScope[sc]; !ok {
			order = append(order, sc)
		}
		byScope[sc] = append(byScope[sc], g)
	}
	if len(order) < 2 {
		return gs
	}
	out := make([][]int, 0, len(gs))
	for len(out) < len(gs) {
		for _, sc := range order {
			if q := byScope[sc]; len(q) > 0 {
				out = append(out, q[0])
				byScope[sc] = q[1:]
			}
		}
	}
	return out
}
