package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3uploader/s3uploader/pkg/deployed"
)

func TestSavedQueries(t *testing.T) {
	wantQueries := map[string][]string{
		"retries-by-message": {
			"fields @timestamp, messageId, key, attempt, delayMs, errorCode",
			`filter message = "upload retry"`,
		},
		"retries-and-throttles-per-minute": {
			`filter message = "batch done"`,
			"sum(retries) as retries", "sum(throttles) as throttles", "by bin(1m)",
		},
		"failed-uploads": {
			"fields @timestamp, messageId, key, reason, errorCode",
			`filter message = "upload failed"`,
		},
	}
	t.Run("cloud", func(t *testing.T) {
		s := synthOnce(t, nil)
		s.count(t, "AWS::Logs::QueryDefinition", len(wantQueries))
		for name, parts := range wantQueries {
			anything := `[\s\S]*` // the query spans lines
			pattern := anything + strings.Join(quoteAll(parts), anything) + anything
			s.hasProps(t, "saved query "+name, "AWS::Logs::QueryDefinition", obj{
				"Name":          "S3Uploader/" + name,
				"LogGroupNames": arr{ref(s.id(t, "FunctionLogs"))},
				"QueryString":   assertions.Match_StringLikeRegexp(jsii.String(pattern)),
			})
		}
	})
	t.Run("local leaves them out but keeps them in the metadata", func(t *testing.T) {
		s := synthOnce(t, map[string]any{"local": "true"})
		s.count(t, "AWS::Logs::QueryDefinition", 0)
		meta, _ := s.templateJSON()["Metadata"].(map[string]any)
		queries, _ := meta[deployed.QueriesMetadataKey].(map[string]any)
		for name, parts := range wantQueries {
			q, _ := queries[name].(string)
			for _, p := range parts {
				if !strings.Contains(q, p) {
					t.Errorf("Metadata[%q][%q] = %q; want it to contain %q", deployed.QueriesMetadataKey, name, q, p)
				}
			}
		}
	})
}

func quoteAll(parts []string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = regexpQuote(p)
	}
	return out
}

// regexpQuote quotes for Match_StringLikeRegexp (JavaScript syntax).
func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestAlarms(t *testing.T) {
	s := synthOnce(t, nil)
	s.count(t, "AWS::CloudWatch::Alarm", 3)
	s.hasProps(t, "alarm: any message in the DLQ", "AWS::CloudWatch::Alarm", obj{
		"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
		"Dimensions":         arr{obj{"Name": "QueueName", "Value": getAtt(s.id(t, "DeadLetterQueue"), "QueueName")}},
		"Statistic":          "Maximum",
		"Period":             60,
		"Threshold":          1,
		"ComparisonOperator": "GreaterThanOrEqualToThreshold",
		"TreatMissingData":   "notBreaching",
	})
	s.hasProps(t, "alarm: oldest message older than 5 minutes", "AWS::CloudWatch::Alarm", obj{
		"Namespace": "AWS/SQS", "MetricName": "ApproximateAgeOfOldestMessage",
		"Dimensions":         arr{obj{"Name": "QueueName", "Value": getAtt(s.id(t, "Queue"), "QueueName")}},
		"Threshold":          300,
		"EvaluationPeriods":  3,
		"ComparisonOperator": "GreaterThanOrEqualToThreshold",
	})
	s.hasProps(t, "alarm: function errors", "AWS::CloudWatch::Alarm", obj{
		"Namespace": "AWS/Lambda", "MetricName": "Errors",
		"Dimensions":         arr{obj{"Name": "FunctionName", "Value": ref(s.id(t, "Uploader"))}},
		"Statistic":          "Sum",
		"Threshold":          1,
		"ComparisonOperator": "GreaterThanOrEqualToThreshold",
		"AlarmActions":       assertions.Match_Absent(),
	})

	t.Run("topic", func(t *testing.T) {
		arn := "arn:aws:sns:us-east-1:123456789012:oncall"
		s := synthOnce(t, map[string]any{"alarmTopicArn": arn, "oldestMessageAlarm": "15m"})
		check(t, "every alarm notifies the topic", func() {
			s.template.AllResourcesProperties(jsii.String("AWS::CloudWatch::Alarm"), obj{"AlarmActions": arr{arn}})
		})
		s.hasProps(t, "oldest-message threshold from context", "AWS::CloudWatch::Alarm", obj{
			"MetricName": "ApproximateAgeOfOldestMessage", "Threshold": 900,
		})
	})
}

// dashboardBody flattens the dashboard's Fn::Join into text, references
// written as {Ref:ID} or {GetAtt:ID.Attr}.
func dashboardBody(t *testing.T, s *synthesized) string {
	t.Helper()
	var body string
	for _, r := range s.resources("AWS::CloudWatch::Dashboard") {
		join := r["Properties"].(map[string]any)["DashboardBody"].(map[string]any)["Fn::Join"].([]any)
		for _, part := range join[1].([]any) {
			switch p := part.(type) {
			case string:
				body += p
			case map[string]any:
				if id, ok := p["Ref"]; ok {
					body += fmt.Sprintf("{Ref:%v}", id)
				} else if ga, ok := p["Fn::GetAtt"].([]any); ok {
					body += fmt.Sprintf("{GetAtt:%v.%v}", ga[0], ga[1])
				} else {
					b, _ := json.Marshal(p)
					body += string(b)
				}
			}
		}
	}
	return body
}

func TestDashboard(t *testing.T) {
	s := synthOnce(t, nil)
	s.count(t, "AWS::CloudWatch::Dashboard", 1)
	body := dashboardBody(t, s)
	fn := fmt.Sprintf("{Ref:%s}", s.id(t, "Uploader"))
	want := []string{
		`"title":"Messages (function EMF)"`,
		`"title":"Retries and S3 throttles (function EMF)"`,
		`"title":"Queue depth"`,
		`"title":"Dead-letter queue depth"`,
		`"title":"Alarms"`,
		`"type":"alarm"`,
		`"ApproximateNumberOfMessagesVisible","QueueName",` + fmt.Sprintf(`"{GetAtt:%s.QueueName}"`, s.id(t, "Queue")),
		`"ApproximateNumberOfMessagesVisible","QueueName",` + fmt.Sprintf(`"{GetAtt:%s.QueueName}"`, s.id(t, "DeadLetterQueue")),
		`"ApproximateAgeOfOldestMessage"`,
		`fields @timestamp, messageId, key, attempt, delayMs, errorCode`,
	}
	for _, m := range []string{"Received", "Uploaded", "Duplicates", "Failed", "Retries", "Throttles"} { // the function's EMF metrics
		want = append(want, fmt.Sprintf(`["S3Uploader","%s","FunctionName","%s"`, m, fn))
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("dashboard body lacks %s\nbody: %s", w, body)
		}
	}
}

// TestDashboardLocal: moto skips alarms, so the local dashboard must not
// reference one (a GetAtt of a skipped alarm fails the deploy).
func TestDashboardLocal(t *testing.T) {
	s := synthOnce(t, map[string]any{"local": "true"})
	body := dashboardBody(t, s)
	if strings.Contains(body, `"type":"alarm"`) || strings.Contains(body, ".Arn}") {
		t.Errorf("local dashboard references alarms:\n%s", body)
	}
	s.count(t, "AWS::CloudWatch::Alarm", 3) // still defined: moto skips them, AWS would not
}
