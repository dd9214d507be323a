//! The table stream as Lambda delivers it: one loop for every stream consumer.
//!
//! Records are handled in order. At the first failure the loop stops and reports that
//! record: Lambda resumes the shard from the lowest reported sequence number, so every
//! later record is delivered again anyway, and handling them now would only do their work
//! twice (an email sent twice). Records that cannot be read as the consumer's item are
//! skipped and logged: retrying cannot make them readable.

use aws_lambda_events::dynamodb::EventRecord;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde::de::DeserializeOwned;
use std::future::Future;

/// Handles the new image of each record `wanted` accepts, as a `T`, until one fails.
pub async fn each_new_image<T, F, Fut, E>(
    records: Vec<EventRecord>,
    wanted: impl Fn(&EventRecord) -> bool,
    mut handle: F,
) -> DynamoDbEventResponse
where
    T: DeserializeOwned,
    F: FnMut(T) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut response = DynamoDbEventResponse::default();
    for record in records {
        if !wanted(&record) {
            continue;
        }
        let sequence = record.change.sequence_number.clone();
        let item: T = match serde_dynamo::from_item(record.change.new_image) {
            Ok(item) => item,
            Err(e) => {
                tracing::error!(sequence = ?sequence, error = %e, "unreadable stream record skipped");
                continue;
            }
        };
        if let Err(e) = handle(item).await {
            tracing::warn!(sequence = ?sequence, error = %e, "stream record failed; the batch resumes from it");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = sequence;
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Item {
        n: u32,
    }

    fn record(seq: &str, n: Option<u32>) -> EventRecord {
        let image = match n {
            Some(n) => serde_json::json!({"n": {"N": n.to_string()}}),
            None => serde_json::json!({"other": {"S": "x"}}),
        };
        serde_json::from_value(serde_json::json!({
            "eventID": seq, "eventName": "INSERT", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": {"SequenceNumber": seq, "NewImage": image, "StreamViewType": "NEW_IMAGE",
                         "SizeBytes": 10, "Keys": {}}
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn the_batch_stops_at_the_first_failure_and_reports_only_it() {
        let records = vec![
            record("1", Some(1)),
            record("2", None),
            record("3", Some(3)),
            record("4", Some(4)),
        ];
        let mut handled = Vec::new();
        let response = each_new_image(
            records,
            |_| true,
            |item: Item| {
                handled.push(item.n);
                let n = item.n;
                async move { if n == 3 { Err("down") } else { Ok(()) } }
            },
        )
        .await;
        assert_eq!(
            handled,
            vec![1, 3],
            "unreadable skipped, nothing after the failure"
        );
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        assert_eq!(failed, vec![Some("3".to_string())]);
    }
}
