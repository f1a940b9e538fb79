package batch

import "cmp"

// submit runs job on one of the Processor's Concurrency workers, waiting
// for a free one.
func (p *Processor) submit(job func()) {
	p.startWorkers.Do(func() {
		p.jobs = make(chan func())
		for range cmp.Or(p.Concurrency, DefaultConcurrency) {
			go func() {
				for job := range p.jobs {
					job()
				}
			}()
		}
	})
	p.jobs <- job
}

// groups splits job indexes into units that run in order: one per FIFO
// message group, or one per record for standard queues.
func groups(jobs []job, fifo bool) [][]int {
	var out [][]int
	if !fifo {
		for i := range jobs {
			out = append(out, []int{i})
		}
		return out
	}
	index := make(map[string]int)
	for i, j := range jobs {
		g := j.rec.Attributes["MessageGroupId"]
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
// first record: a prefix whose sends are paced does not take every upload
// slot while records of other prefixes wait behind it.
func interleave(jobs []job, gs [][]int) [][]int {
	return RoundRobin(gs, func(g []int) string { return jobs[g[0]].scope })
}

// RoundRobin orders items by taking one of each scope in turn, scopes in
// the order they first appear, keeping the order within each scope.
func RoundRobin[T any, S comparable](items []T, scope func(T) S) []T {
	if len(items) < 2 {
		return items
	}
	var order []S
	by := make(map[S][]T)
	for _, it := range items {
		s := scope(it)
		if _, ok := by[s]; !ok {
			order = append(order, s)
		}
		by[s] = append(by[s], it)
	}
	if len(order) < 2 {
		return items
	}
	out := make([]T, 0, len(items))
	for len(out) < len(items) {
		for _, s := range order {
			if q := by[s]; len(q) > 0 {
				out = append(out, q[0])
				by[s] = q[1:]
			}
		}
	}
	return out
}
