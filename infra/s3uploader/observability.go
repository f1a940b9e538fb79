package s3uploader

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The function's log and metric contract (see functions/uploader): JSON lines
// in Lambda's shape with these messages and fields, and one EMF document per
// invocation with these metrics, dimension FunctionName.
const (
	retryMessage     = "upload retry"  // WARN: messageId, key, attempt, delayMs, errorCode
	failedMessage    = "upload failed" // ERROR: messageId, key, reason, errorCode
	batchDoneMessage = "batch done"    // INFO: received, uploaded, duplicates, failed, retries, throttles
)

// savedQuery is a Logs Insights query saved with the stack.
type savedQuery struct {
	name  string // after "<stack name>/"
	query awslogs.QueryString
}

// savedQueries are the Logs Insights queries saved with the stack (and
// recorded in the template's metadata, for the local demo, which cannot
// deploy query definitions to moto).
func savedQueries() []savedQuery {
	return []savedQuery{
		{"retries-by-message", awslogs.NewQueryString(&awslogs.QueryStringProps{
			Fields:           jsii.Strings("@timestamp", "messageId", "key", "attempt", "delayMs", "errorCode"),
			FilterStatements: jsii.Strings(fmt.Sprintf("message = %q", retryMessage)),
			Sort:             jsii.String("@timestamp desc"),
			Limit:            jsii.Number(1000),
		})},
		{"retries-and-throttles-per-minute", awslogs.NewQueryString(&awslogs.QueryStringProps{
			FilterStatements: jsii.Strings(fmt.Sprintf("message = %q", batchDoneMessage)),
			StatsStatements:  jsii.Strings("sum(retries) as retries, sum(throttles) as throttles, sum(failed) as failed, sum(uploaded) as uploaded by bin(1m)"),
		})},
		{"failed-uploads", awslogs.NewQueryString(&awslogs.QueryStringProps{
			Fields:           jsii.Strings("@timestamp", "messageId", "key", "reason", "errorCode"),
			FilterStatements: jsii.Strings(fmt.Sprintf("message = %q", failedMessage)),
			Sort:             jsii.String("@timestamp desc"),
			Limit:            jsii.Number(1000),
		})},
	}
}

// queryMetadataKey is the template Metadata key holding the saved queries by
// name: {"retries-by-message": "fields ...", ...}.
const queryMetadataKey = "S3Uploader::LogsInsightsQueries"

type observability struct {
	dashboard awscloudwatch.Dashboard
	alarms    []awscloudwatch.Alarm
}

// newObservability adds the saved queries, the alarms and the dashboard.
func newObservability(scope constructs.Construct, cfg Config, fn *uploaderFunction, q *queues) *observability {
	saveQueries(scope, cfg, fn)
	alarms := newAlarms(scope, cfg, fn, q)
	return &observability{dashboard: newDashboard(scope, cfg, fn, q, alarms), alarms: alarms}
}

// saveQueries saves the Logs Insights queries with the stack (not on moto)
// and records them in the template's metadata.
func saveQueries(scope constructs.Construct, cfg Config, fn *uploaderFunction) {
	queries := map[string]*string{}
	for _, sq := range savedQueries() {
		queries[sq.name] = sq.query.ToString()
		if cfg.Local {
			continue // moto answers PutQueryDefinition with a 500
		}
		awslogs.NewQueryDefinition(scope, jsii.String("Query-"+sq.name), &awslogs.QueryDefinitionProps{
			QueryDefinitionName: jsii.String(*awscdk.Stack_Of(scope).StackName() + "/" + sq.name),
			QueryString:         sq.query,
			LogGroups:           &[]interfacesawslogs.ILogGroupRef{fn.logGroup},
		})
	}
	awscdk.Stack_Of(scope).AddMetadata(jsii.String(queryMetadataKey), queries)
}

// minute is the period of every alarm and graph.
func minute() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(1)) }

// newAlarms adds the alarms: a message in the DLQ, the oldest message too
// old, a function error; each notifies alarmTopicArn when set.
func newAlarms(scope constructs.Construct, cfg Config, fn *uploaderFunction, q *queues) []awscloudwatch.Alarm {
	alarms := []awscloudwatch.Alarm{
		q.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: minute(),
		}).CreateAlarm(scope, jsii.String("DeadLetterQueueNotEmpty"), &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:   jsii.String("Messages in the dead-letter queue: uploads that failed maxReceiveCount times. Inspect them, fix the cause, then redrive."),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}),
		q.queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Maximum"), Period: minute(),
		}).CreateAlarm(scope, jsii.String("OldestMessageTooOld"), &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:   jsii.String(fmt.Sprintf("The oldest message has waited %s or more: the function is falling behind or failing.", cfg.OldestMessageAlarm)),
			Threshold:          jsii.Number(cfg.OldestMessageAlarm.Seconds()),
			EvaluationPeriods:  jsii.Number(3),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}),
		fn.function.MetricErrors(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Sum"), Period: minute(),
		}).CreateAlarm(scope, jsii.String("FunctionErrors"), &awscloudwatch.CreateAlarmOptions{
			AlarmDescription:   jsii.String("The function returned an error, timed out or crashed: its whole batch is retried. Record failures are reported per item and do not count here."),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		}),
	}
	if cfg.AlarmTopicArn != "" {
		action := awscloudwatchactions.NewSnsAction(awssns.Topic_FromTopicArn(scope, jsii.String("AlarmTopic"), jsii.String(cfg.AlarmTopicArn)))
		for _, a := range alarms {
			a.AddAlarmAction(action)
		}
	}
	return alarms
}

// newDashboard adds the dashboard: the function's EMF metrics, the queues'
// depth, the function's own metrics, the alarms and the recent retries.
func newDashboard(scope constructs.Construct, cfg Config, fn *uploaderFunction, q *queues, alarms []awscloudwatch.Alarm) awscloudwatch.Dashboard {
	emf := func(name string) awscloudwatch.IMetric { return emfMetric(cfg, fn, name) }
	peak := func(label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: minute(), Label: jsii.String(label)}
	}
	stat := func(statistic string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Statistic: jsii.String(statistic), Period: minute()}
	}
	type metrics = []awscloudwatch.IMetric
	return awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
		Widgets: &[]*[]awscloudwatch.IWidget{
			{
				graph("Messages (function EMF)", metrics{emf("Received"), emf("Uploaded"), emf("Duplicates"), emf("Failed")}, nil),
				graph("Retries and S3 throttles (function EMF)", metrics{emf("Retries"), emf("Throttles")}, nil),
			},
			{
				graph("Queue depth",
					metrics{
						q.queue.MetricApproximateNumberOfMessagesVisible(peak("Visible")),
						q.queue.MetricApproximateNumberOfMessagesNotVisible(peak("In flight")),
					},
					metrics{q.queue.MetricApproximateAgeOfOldestMessage(peak("Age of oldest (s)"))}),
				graph("Dead-letter queue depth", metrics{q.dlq.MetricApproximateNumberOfMessagesVisible(peak("DLQ visible"))}, nil),
			},
			{
				graph("Function",
					metrics{fn.function.MetricInvocations(stat("Sum")), fn.function.MetricErrors(stat("Sum")), fn.function.MetricThrottles(stat("Sum"))},
					metrics{fn.function.MetricDuration(stat("p99"))}),
				alarmWidget(cfg, alarms),
			},
			{
				awscloudwatch.NewLogQueryWidget(&awscloudwatch.LogQueryWidgetProps{
					Title:         jsii.String("Recent retries (saved query retries-by-message)"),
					LogGroupNames: &[]*string{fn.logGroup.LogGroupName()},
					QueryString:   savedQueries()[0].query.ToString(),
					View:          awscloudwatch.LogQueryVisualizationType_TABLE,
					Width:         jsii.Number(24),
					Height:        jsii.Number(8),
				}),
			},
		},
	})
}

// emfMetric is one of the function's EMF metrics, summed per minute.
func emfMetric(cfg Config, fn *uploaderFunction, name string) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(cfg.MetricsNamespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &map[string]*string{"FunctionName": fn.function.FunctionName()},
		Statistic:     jsii.String("Sum"),
		Period:        minute(),
	})
}

// graph is a half-width graph widget.
func graph(title string, left, right []awscloudwatch.IMetric) awscloudwatch.IWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Left: &left, Right: &right, Width: jsii.Number(12), Height: jsii.Number(6),
	})
}

// alarmWidget shows the alarms' status, or on moto a note that it cannot.
func alarmWidget(cfg Config, alarms []awscloudwatch.Alarm) awscloudwatch.IWidget {
	if cfg.Local {
		// moto's CloudFormation skips AWS::CloudWatch::Alarm, so a reference to
		// an alarm's ARN fails the local deploy. The alarms stay in the template.
		return awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
			Markdown: jsii.String("Alarm status is left out of the local (moto) stack."),
			Width:    jsii.Number(12), Height: jsii.Number(6),
		})
	}
	refs := []interfacesawscloudwatch.IAlarmRef{}
	for _, a := range alarms {
		refs = append(refs, a)
	}
	return awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Alarms"), Alarms: &refs, Width: jsii.Number(12), Height: jsii.Number(6),
	})
}

// retentionDays maps a number of days to CloudWatch Logs' retention settings.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

func retentionDayList() string {
	var days []int
	for d := range retentionDays {
		days = append(days, d)
	}
	slices.Sort(days)
	s := make([]string, len(days))
	for i, d := range days {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, ", ")
}
