package s3uploader

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// storage is the uploads bucket, its access-log bucket and, with the kms
// setting, the key that encrypts the uploads; or an existing bucket and
// the key it encrypts with.
type storage struct {
	bucket    awss3.IBucket
	logBucket awss3.Bucket // nil for an existing bucket
	key       awskms.IKey  // nil unless Config.KMS or an existing bucket's key
	existing  bool
}

// incompleteUploadDays is how long an unfinished multipart upload may hold
// storage before S3 aborts it.
const incompleteUploadDays = 7

func newStorage(scope constructs.Construct, cfg Config, removal awscdk.RemovalPolicy, p Props) *storage {
	if s := existingStorage(scope, p); s != nil {
		return s
	}
	// Auto-delete needs a custom resource whose Lambda moto cannot run, so the
	// local stack leaves it out (moto's buckets die with the process anyway).
	autoDelete := jsii.Bool(cfg.Dev && !cfg.Local)

	// S3 server access logs cannot be delivered to a KMS-encrypted bucket:
	// the log bucket always uses S3-managed keys.
	logBucket := awss3.NewBucket(scope, jsii.String("AccessLogs"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("expire-access-logs"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(float64(cfg.AccessLogRetentionDays))),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy:     removal,
		AutoDeleteObjects: autoDelete,
	})

	s := &storage{logBucket: logBucket}
	props := &awss3.BucketProps{
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		MinimumTLSVersion:      jsii.Number(1.2),
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(cfg.Versioned),
		ServerAccessLogsBucket: logBucket,
		ServerAccessLogsPrefix: jsii.String("uploads-bucket/"),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("abort-incomplete-multipart-uploads"),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(incompleteUploadDays)),
		}},
		RemovalPolicy:     removal,
		AutoDeleteObjects: autoDelete,
	}
	if cfg.KMS {
		s.key = awskms.NewKey(scope, jsii.String("UploadsKey"), &awskms.KeyProps{
			Description:       jsii.String("Encrypts the objects the S3 uploader writes"),
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     removal,
			PendingWindow:     awscdk.Duration_Days(jsii.Number(pendingWindowDays(cfg))),
		})
		props.Encryption = awss3.BucketEncryption_KMS
		props.EncryptionKey = s.key
		props.BucketKeyEnabled = jsii.Bool(true)
	}
	s.bucket = awss3.NewBucket(scope, jsii.String("Uploads"), props)
	return s
}

// pendingWindowDays is the KMS key's deletion waiting period: the shortest
// allowed for a throwaway stack, the longest otherwise.
func pendingWindowDays(cfg Config) float64 {
	if cfg.Dev {
		return 7
	}
	return 30
}

// existingStorage returns the existing bucket Props name, with its key, or
// nil when the stack creates its own.
func existingStorage(scope constructs.Construct, p Props) *storage {
	s := &storage{bucket: p.Bucket, key: p.BucketKey, existing: true}
	switch {
	case s.bucket != nil:
	case p.BucketArn != "":
		s.bucket = awss3.Bucket_FromBucketArn(scope, jsii.String("Uploads"), jsii.String(p.BucketArn))
	case p.BucketName != "":
		s.bucket = awss3.Bucket_FromBucketName(scope, jsii.String("Uploads"), jsii.String(p.BucketName))
	default:
		return nil
	}
	if s.key == nil && p.BucketKeyArn != "" {
		s.key = awskms.Key_FromKeyArn(scope, jsii.String("UploadsKey"), jsii.String(p.BucketKeyArn))
	}
	return s
}
