//! Counts what a DynamoDB client does, through the SDK's interceptor hooks: operations
//! called, attempts sent (an SDK retry is a second attempt of one operation), items read,
//! operations that ended in a conflict or throttle, and write units on paper.

use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::scan::ScanOutput;
use aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsOutput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Attempts sent, by operation name, in order (each a round trip).
    pub operations: Vec<String>,
    /// Operations called (an operation retried by the SDK counts once).
    pub executions: u64,
    pub attempts: u64,
    pub items_read: u64,
    /// Operations that failed with a transaction conflict, a failed condition or a throttle.
    pub conflicts: u64,
    /// Write request units on paper: 1 per item put, updated or deleted (items ≤ 1 KB),
    /// 2 per item in a transaction.
    pub write_units: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Meter(Arc<Mutex<Counts>>);

impl Meter {
    pub fn take(&self) -> Counts {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    pub fn client(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        let conf = aws_sdk_dynamodb::config::Builder::from(sdk)
            .interceptor(self.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(conf)
    }
}

impl Intercept for Meter {
    fn name(&self) -> &'static str {
        "Meter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = portal_tests::operation_name(context.request().headers());
        let units = write_units(&name, context.request().body().bytes().unwrap_or_default());
        let mut c = self.0.lock().unwrap();
        c.attempts += 1;
        c.write_units += units;
        c.operations.push(name);
        Ok(())
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.lock().unwrap().executions += 1;
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let output = match context.output_or_error() {
            Some(Ok(output)) => output,
            Some(Err(error)) => {
                let text = format!("{error:?}");
                if [
                    "TransactionConflict",
                    "ConditionalCheckFailed",
                    "Throttl",
                    "ProvisionedThroughputExceeded",
                ]
                .iter()
                .any(|c| text.contains(c))
                {
                    self.0.lock().unwrap().conflicts += 1;
                }
                return Ok(());
            }
            None => return Ok(()),
        };
        let items = if let Some(o) = output.downcast_ref::<GetItemOutput>() {
            u64::from(o.item.is_some())
        } else if let Some(o) = output.downcast_ref::<QueryOutput>() {
            o.scanned_count.max(0) as u64
        } else if let Some(o) = output.downcast_ref::<ScanOutput>() {
            o.scanned_count.max(0) as u64
        } else if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
            o.responses
                .as_ref()
                .map_or(0, |r| r.values().map(|v| v.len() as u64).sum())
        } else if let Some(o) = output.downcast_ref::<TransactGetItemsOutput>() {
            o.responses
                .as_ref()
                .map_or(0, |r| r.iter().filter(|i| i.item.is_some()).count() as u64)
        } else {
            0
        };
        self.0.lock().unwrap().items_read += items;
        Ok(())
    }
}

impl Counts {
    /// Round trips: every attempt sent.
    pub fn round_trips(&self) -> usize {
        self.operations.len()
    }

    /// Attempts the SDK sent again.
    pub fn retries(&self) -> u64 {
        self.attempts.saturating_sub(self.executions)
    }
}

fn write_units(operation: &str, body: &[u8]) -> u64 {
    let count = |field: &str| -> u64 {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        match field {
            "TransactItems" => v[field].as_array().map_or(0, |a| a.len() as u64),
            _ => v[field].as_object().map_or(0, |m| {
                m.values()
                    .map(|a| a.as_array().map_or(0, |a| a.len() as u64))
                    .sum()
            }),
        }
    };
    match operation {
        "PutItem" | "UpdateItem" | "DeleteItem" => 1,
        "TransactWriteItems" => 2 * count("TransactItems"),
        "BatchWriteItem" => count("RequestItems"),
        _ => 0,
    }
}
