package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/sync/errgroup"

	"github.com/s3uploader/s3uploader/pkg/keys"
	"github.com/s3uploader/s3uploader/pkg/uploader"
)

// Scenario is a workload and the throttle it meets. Zero fields take the
// defaults of the main setting.
type Scenario struct {
	Objects   int // objects to store; default 4000
	Size      int // bytes per object; default 1024
	Prefixes  int // key prefixes the objects spread over; default 1
	Instances int // independent handlers; default 8
	// Concurrency is each handler's uploads in flight (UPLOAD_CONCURRENCY);
	// 0: the function's default.
	Concurrency int
	BatchSize   int           // SQS batch size; default 10
	Timeout     time.Duration // function timeout, each invocation's deadline; default 30s
	Sim         SimConfig     // the simulated S3: rate per prefix, burst, 500s; zero Rate: no throttle
	// Cutoff, when positive, stops handing out batches that long after the
	// start: what is left is counted as given up (NotRun), so a strategy
	// that crawls ends in bounded time.
	Cutoff time.Duration
	// Shares, when set, weighs the prefixes: object i goes to the prefix
	// drawn by its share (in order, cycling over 100 slots) instead of i
	// mod Prefixes.
	Shares []int
	// ShardInFunction moves the sharding from the sender to the function:
	// the key attribute is a bare obj-NNNNNN, and the function's
	// KEY_TEMPLATE, p{shard:Prefixes}/{key}, picks the prefix by a hash of
	// it (Prefixes from 2; Shares do not apply).
	ShardInFunction bool
}

// KeyTemplate is the function's KEY_TEMPLATE in the scenario: "" (the
// default) unless ShardInFunction.
func (s Scenario) KeyTemplate() string {
	if !s.ShardInFunction {
		return ""
	}
	return fmt.Sprintf("p{shard:%d}/{key}", s.withDefaults().Prefixes)
}

// functionConfig is the function's configuration in the scenario.
func (s Scenario) functionConfig() (uploader.Config, error) {
	cfg, err := FunctionConfig(s.Concurrency)
	if err != nil {
		return cfg, err
	}
	if t := s.KeyTemplate(); t != "" {
		if cfg.KeyTemplate, err = uploader.ParseKeyTemplate(t); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

func (s Scenario) withDefaults() Scenario {
	if s.Objects <= 0 {
		s.Objects = 4000
	}
	if s.Size <= 0 {
		s.Size = 1024
	}
	if s.Prefixes <= 0 {
		s.Prefixes = 1
	}
	if s.Instances <= 0 {
		s.Instances = 8
	}
	if s.BatchSize <= 0 {
		s.BatchSize = 10
	}
	if s.Timeout <= 0 {
		s.Timeout = 30 * time.Second
	}
	return s
}

// Ideal is the shortest time the throttle allows for the workload:
// objects / (prefixes × rate), or 0 without a throttle.
func (s Scenario) Ideal() time.Duration {
	s = s.withDefaults()
	if s.Sim.Rate <= 0 {
		return 0
	}
	return time.Duration(float64(s.Objects) / (float64(s.Prefixes) * s.Sim.Rate) * float64(time.Second))
}

// Messages returns the workload as SQS messages and the key each should be
// stored at. Object i goes under prefix i mod Prefixes, or, with
// ShardInFunction, under the prefix the function's template renders.
func (s Scenario) Messages(keyPrefix string) ([]events.SQSMessage, []string) {
	s = s.withDefaults()
	var tmpl *keys.KeyTemplate
	if t := s.KeyTemplate(); t != "" {
		tmpl, _ = keys.NewKeyTemplate(t) // a bad one leaves keys "": lost, and seen
	}
	body := strings.Repeat("x", s.Size)
	msgs := make([]events.SQSMessage, s.Objects)
	keys := make([]string, s.Objects)
	var slots []int
	for p, n := range s.Shares {
		for range n {
			slots = append(slots, p)
		}
	}
	for i := range msgs {
		prefix := i % s.Prefixes
		if len(slots) > 0 {
			prefix = slots[i%len(slots)]
		}
		name := fmt.Sprintf("p%02d/obj-%06d", prefix, i)
		if s.ShardInFunction {
			name = fmt.Sprintf("obj-%06d", i)
		}
		v := name
		msgs[i] = events.SQSMessage{
			MessageId:      "m-" + strconv.Itoa(i),
			Body:           body,
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:bench",
			AWSRegion:      "us-east-1",
			Attributes:     map[string]string{"ApproximateReceiveCount": "1"},
			MessageAttributes: map[string]events.SQSMessageAttribute{
				"key": {DataType: "String", StringValue: &v},
			},
		}
		keys[i] = keyPrefix + name
		if s.ShardInFunction {
			keys[i] = ""
			if tmpl != nil {
				keys[i], _ = tmpl.Key(msgs[i], keyPrefix)
			}
		}
	}
	return msgs, keys
}

// queue hands out batches of messages to instances, as an event source
// mapping would.
type queue struct {
	mu   sync.Mutex
	msgs []events.SQSMessage
	next int
}

func (q *queue) take(n int) []events.SQSMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	end := min(len(q.msgs), q.next+n)
	b := q.msgs[q.next:end]
	q.next = end
	return b
}

// Run plays strategy through scenario on a fresh Sim and returns what
// happened. Each instance takes batches until the queue is empty and hands
// each to its handler under a deadline of scenario.Timeout; records
// reported failed are counted as given up (SQS would redeliver them), not
// retried here.
func Run(ctx context.Context, sc Scenario, st Strategy) (Result, error) {
	sc = sc.withDefaults()
	sim, err := StartSim(sc.Sim)
	if err != nil {
		return Result{}, err
	}
	defer sim.Close()
	cfg, err := sc.functionConfig()
	if err != nil {
		return Result{}, err
	}
	handlers, err := instances(ctx, st, sim.URL(), cfg, sc.Instances)
	if err != nil {
		return Result{}, err
	}
	msgs, keys := sc.Messages(cfg.KeyPrefix)
	q := &queue{msgs: msgs}
	t := newTally(len(msgs))

	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for _, h := range handlers {
		g.Go(func() error { return t.serve(gctx, sc, start, q, h) })
	}
	if err := g.Wait(); err != nil {
		return Result{}, err
	}
	return t.result(ctx, sim, sc, st.Name, q, keys, time.Since(start))
}
