package logship

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/s3uploader/s3uploader/pkg/twin/moto"
)

func TestShipToMoto(t *testing.T) {
	srv := moto.StartTest(t)
	ctx := context.Background()
	logs := cloudwatchlogs.NewFromConfig(srv.AWSConfig())
	group := "/aws/lambda/test"
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, logs, Config{LogGroup: group, FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(s, "START RequestId: r1 Version: $LATEST\n")
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(s, `{"level":"WARN","message":"upload retry","messageId":"m1","attempt":%d}`+"\n", i)
	}
	fmt.Fprintf(s, "29 Nov 2026 04:42:38,276 [INFO] (rapid) noise\nEND RequestId: r1\nREPORT RequestId: r1\tDuration: 1.00 ms\t")
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Shipped() != 6 {
		t.Errorf("Shipped() = %d; want 6", s.Shipped())
	}
	out, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(group), FilterPattern: aws.String(`"upload retry"`),
	})
	if err != nil {
		t.Fatal(err)
	}
	// moto matches quoted terms; it ignores JSON patterns ({ $.attempt = 2 }).
	if len(out.Events) != 3 || aws.ToString(out.Events[0].LogStreamName) != s.Stream() {
		t.Errorf("FilterLogEvents(\"upload retry\") = %d events; want 3 in %s", len(out.Events), s.Stream())
	}
}
