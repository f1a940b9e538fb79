package deployed

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
)

// stackOutputs returns the outputs of stack name by key, empty when it has
// none.
func stackOutputs(ctx context.Context, c CloudFormation, name string) (map[string]string, error) {
	ds, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("describe stack %s: %w", name, err)
	}
	if len(ds.Stacks) == 0 {
		return nil, fmt.Errorf("stack %s not found", name)
	}
	outputs := map[string]string{}
	for _, o := range ds.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return outputs, nil
}

func listResources(ctx context.Context, c CloudFormation, name string) ([]cfntypes.StackResourceSummary, error) {
	var all []cfntypes.StackResourceSummary
	var token *string
	for {
		out, err := c.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String(name), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list resources of %s: %w", name, err)
		}
		all = append(all, out.StackResourceSummaries...)
		if out.NextToken == nil {
			return all, nil
		}
		token = out.NextToken
	}
}

type template struct {
	Metadata  map[string]json.RawMessage
	Resources map[string]resource
}

type resource struct {
	Type       string
	Properties json.RawMessage
}

// readTemplate reads the template stack name was deployed from.
func readTemplate(ctx context.Context, c CloudFormation, name string) (template, error) {
	var t template
	tpl, err := c.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(name)})
	if err != nil {
		return t, fmt.Errorf("get template of %s: %w", name, err)
	}
	if err := json.Unmarshal([]byte(aws.ToString(tpl.TemplateBody)), &t); err != nil {
		return t, fmt.Errorf("template of %s is not JSON: %w", name, err)
	}
	return t, nil
}

// queries returns the saved queries of the template's metadata (see
// QueriesMetadataKey): nil when there are none, and what could be read of
// an entry that is not a map of strings.
func (t template) queries() map[string]string {
	var q map[string]string
	if raw, ok := t.Metadata[QueriesMetadataKey]; ok {
		_ = json.Unmarshal(raw, &q)
	}
	return q
}

// resolve reads a template value that is a string, a {"Ref": id} of one of
// resources (its physical id) or a {"Fn::Sub": string}.
func resolve(raw json.RawMessage, resources []cfntypes.StackResourceSummary) string {
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	var fn struct {
		Ref string `json:"Ref"`
		Sub string `json:"Fn::Sub"`
	}
	if json.Unmarshal(raw, &fn) != nil {
		return ""
	}
	if fn.Sub != "" {
		return fn.Sub
	}
	for _, r := range resources {
		if aws.ToString(r.LogicalResourceId) == fn.Ref {
			return aws.ToString(r.PhysicalResourceId)
		}
	}
	return ""
}
