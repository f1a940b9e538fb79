package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// localAssembly is the cloud assembly to deploy to moto: the one
// synthesized, or for a FIFO stack a copy of it (in work) whose FIFO
// queues are named (nameFIFOQueues). The step line says what it named.
func localAssembly(cfg Config, assembly, work string, step func(string, time.Time)) (string, error) {
	if cfg.Groups == 0 || cfg.Existing {
		return assembly, nil
	}
	t := time.Now()
	if cfg.App != "" {
		// Never change an assembly the caller gave.
		local := filepath.Join(work, "cdk.out.local")
		if err := os.CopyFS(local, os.DirFS(assembly)); err != nil {
			return "", fmt.Errorf("copy the cloud assembly %s: %w", assembly, err)
		}
		assembly = local
	}
	names, err := nameFIFOQueues(assembly, cfg.Stack)
	if err != nil {
		return "", err
	}
	if len(names) > 0 {
		step("FIFO queues named "+strings.Join(names, ", ")+" in the template: moto's CloudFormation does not end its names in .fifo, as CloudFormation does", t)
	}
	return assembly, nil
}

// nameFIFOQueues gives each FIFO queue of the stack's template in the
// assembly that has no QueueName the name CloudFormation's would end
// like, <stack>-<logical ID>.fifo: for a FIFO queue CloudFormation's
// generated name ends in .fifo, moto 5.2.1's does not, and moto then
// refuses to make the queue ("Queue name must end in .fifo for FIFO
// queues"). It returns the names given, sorted.
func nameFIFOQueues(assembly, stack string) ([]string, error) {
	path, err := templatePath(assembly, stack)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t map[string]any
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	resources, _ := t["Resources"].(map[string]any)
	var names []string
	for id, r := range resources {
		res, _ := r.(map[string]any)
		props, _ := res["Properties"].(map[string]any)
		if res["Type"] != "AWS::SQS::Queue" || props == nil || props["FifoQueue"] != true || props["QueueName"] != nil {
			continue
		}
		name := stack + "-" + id
		name = name[:min(len(name), 75)] + ".fifo" // SQS: at most 80 characters
		props["QueueName"] = name
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, nil
	}
	sort.Strings(names)
	if b, err = json.MarshalIndent(t, "", " "); err != nil {
		return nil, err
	}
	return names, os.WriteFile(path, b, 0o644)
}

// templatePath is the template file of stack in the assembly, as its
// manifest names it.
func templatePath(assembly, stack string) (string, error) {
	b, err := os.ReadFile(filepath.Join(assembly, "manifest.json"))
	if err != nil {
		return "", fmt.Errorf("cloud assembly %s: %w", assembly, err)
	}
	var m struct {
		Artifacts map[string]struct {
			Type       string
			Properties struct{ TemplateFile, StackName string }
		}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("cloud assembly %s: manifest.json: %w", assembly, err)
	}
	for id, a := range m.Artifacts {
		if a.Type == "aws:cloudformation:stack" && (a.Properties.StackName == stack || a.Properties.StackName == "" && id == stack) {
			return filepath.Join(assembly, a.Properties.TemplateFile), nil
		}
	}
	return "", fmt.Errorf("cloud assembly %s has no stack %s", assembly, stack)
}
