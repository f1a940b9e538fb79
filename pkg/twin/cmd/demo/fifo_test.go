package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestNameFIFOQueues: the FIFO queues of the stack's template that have
// no name get one ending in .fifo, as CloudFormation's would; a standard
// queue and a named one are left as they are.
func TestNameFIFOQueues(t *testing.T) {
	dir := t.TempDir()
	manifest := `{"artifacts":{"S":{"type":"aws:cloudformation:stack","properties":{"templateFile":"S.template.json","stackName":"S"}}}}`
	template := `{"Resources":{
		"Queue4A7E3555":{"Type":"AWS::SQS::Queue","Properties":{"FifoQueue":true}},
		"Dlq":{"Type":"AWS::SQS::Queue","Properties":{"FifoQueue":true,"QueueName":"mine.fifo"}},
		"Plain":{"Type":"AWS::SQS::Queue","Properties":{}},
		"Bucket":{"Type":"AWS::S3::Bucket","Properties":{"FifoQueue":true}}}}`
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(manifest), 0o644)
	os.WriteFile(filepath.Join(dir, "S.template.json"), []byte(template), 0o644)
	names, err := nameFIFOQueues(dir, "S")
	if err != nil || !slices.Equal(names, []string{"S-Queue4A7E3555.fifo"}) {
		t.Fatalf("nameFIFOQueues = %q, %v; want [S-Queue4A7E3555.fifo]", names, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "S.template.json"))
	var got struct {
		Resources map[string]struct{ Properties map[string]any }
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]any{"Queue4A7E3555": "S-Queue4A7E3555.fifo", "Dlq": "mine.fifo", "Plain": nil, "Bucket": nil} {
		if n := got.Resources[id].Properties["QueueName"]; n != want {
			t.Errorf("%s's QueueName = %v; want %v", id, n, want)
		}
	}
	if _, err := nameFIFOQueues(dir, "Other"); err == nil {
		t.Errorf("nameFIFOQueues(no such stack) = nil; want an error")
	}
}
