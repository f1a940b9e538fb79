package deployed

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func TestReadLogging(t *testing.T) {
	resources := []cfntypes.StackResourceSummary{{LogicalResourceId: aws.String("Logs"), PhysicalResourceId: aws.String("/stack/logs-1")}}
	props := func(format, group, level string) functionProperties {
		var p functionProperties
		p.LoggingConfig.LogFormat, p.LoggingConfig.ApplicationLogLevel = format, level
		if group != "" {
			p.LoggingConfig.LogGroup = json.RawMessage(group)
		}
		return p
	}
	type logging struct{ group, format, level string }
	tests := map[string]struct {
		live  *lambdatypes.LoggingConfig
		props functionProperties
		want  logging
	}{
		"live configuration first": {
			live:  &lambdatypes.LoggingConfig{LogGroup: aws.String("/live"), LogFormat: lambdatypes.LogFormatJson, ApplicationLogLevel: lambdatypes.ApplicationLogLevelDebug},
			props: props("Text", `{"Ref": "Logs"}`, "WARN"),
			want:  logging{"/live", "JSON", "DEBUG"},
		},
		"live group, template format and level": {
			live:  &lambdatypes.LoggingConfig{LogGroup: aws.String("/live")},
			props: props("JSON", `{"Ref": "Logs"}`, "WARN"),
			want:  logging{"/live", "JSON", "WARN"},
		},
		"template group, resolved": {
			props: props("JSON", `{"Ref": "Logs"}`, "INFO"),
			want:  logging{"/stack/logs-1", "JSON", "INFO"},
		},
		"live level, template group": {
			live:  &lambdatypes.LoggingConfig{ApplicationLogLevel: lambdatypes.ApplicationLogLevelError},
			props: props("JSON", `"/named"`, "INFO"),
			want:  logging{"/named", "JSON", "ERROR"},
		},
		"Lambda's defaults": {
			want: logging{"/aws/lambda/fn", "Text", ""},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := &Stack{FunctionName: "fn"}
			s.readLogging(tc.live, tc.props, resources)
			if got := (logging{s.LogGroup, s.LogFormat, s.LogLevel}); got != tc.want {
				t.Errorf("readLogging(%+v, %+v) = %+v; want %+v", tc.live, tc.props.LoggingConfig, got, tc.want)
			}
		})
	}
}
