//! AWS SDK configuration and clients, built once per cold start.
//!
//! The SDK's own resolution honours the standard `AWS_ENDPOINT_URL` (and per-service
//! `AWS_ENDPOINT_URL_<SERVICE>`) variables, so the same binary talks to AWS or to the
//! local emulator; nothing here knows which.

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the shared SDK configuration (region, credentials, endpoint) from the environment.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

/// An S3 client. A custom endpoint (an emulator, a VPC endpoint by address) has no
/// per-bucket DNS, so path-style addressing is used whenever one is configured.
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let path_style = config.endpoint_url().is_some();
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(path_style)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

pub fn sqs(config: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

pub fn secrets_manager(config: &SdkConfig) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(config)
}

/// The SES v2 client type (re-exported so functions need not depend on the SDK crate).
pub type SesClient = aws_sdk_sesv2::Client;

pub fn ses(config: &SdkConfig) -> SesClient {
    aws_sdk_sesv2::Client::new(config)
}
