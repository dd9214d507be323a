//! The handler-overhead baseline: a function whose client is built at init like the
//! portal's, and whose only work is the bare SDK read of the items a handler answers with.
//! Events: `{"op":"get","pk","sk"}`, `{"op":"query","pk","prefix","limit"}` (newest first)
//! and `{"op":"batch","keys":[[pk,sk],...]}` answer the number of items read;
//! `{"op":"send","queue","body","group","dedup"}` is one FIFO `SendMessage`;
//! `{"op":"seq","ops":[...]}` does several in turn.
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};
use std::collections::HashMap;

fn s(v: &Value, field: &str) -> Result<String, Error> {
    v[field]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{field} is missing").into())
}

fn key(pk: String, sk: String) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("PK".to_string(), AttributeValue::S(pk)),
        ("SK".to_string(), AttributeValue::S(sk)),
    ])
}

async fn read(
    client: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    table: &str,
    e: &Value,
) -> Result<usize, Error> {
    match e["op"].as_str() {
        Some("seq") => {
            let mut items = 0;
            for op in e["ops"].as_array().ok_or("ops is missing")? {
                items += Box::pin(read(client, sqs, table, op)).await?;
            }
            Ok(items)
        }
        Some("send") => {
            sqs.send_message()
                .queue_url(s(e, "queue")?)
                .message_body(s(e, "body")?)
                .message_group_id(s(e, "group")?)
                .message_deduplication_id(s(e, "dedup")?)
                .send()
                .await?;
            Ok(0)
        }
        Some("get") => {
            let out = client
                .get_item()
                .table_name(table)
                .set_key(Some(key(s(e, "pk")?, s(e, "sk")?)))
                .send()
                .await?;
            Ok(usize::from(out.item.is_some()))
        }
        Some("query") => {
            let out = client
                .query()
                .table_name(table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":pk", AttributeValue::S(s(e, "pk")?))
                .expression_attribute_values(":prefix", AttributeValue::S(s(e, "prefix")?))
                .scan_index_forward(false)
                .limit(e["limit"].as_i64().unwrap_or(25) as i32)
                .send()
                .await?;
            Ok(out.items.map_or(0, |i| i.len()))
        }
        Some("batch") => {
            let mut keys = KeysAndAttributes::builder();
            for k in e["keys"].as_array().ok_or("keys is missing")? {
                keys = keys.keys(key(
                    k[0].as_str().unwrap_or_default().to_string(),
                    k[1].as_str().unwrap_or_default().to_string(),
                ));
            }
            let out = client
                .batch_get_item()
                .request_items(table, keys.build()?)
                .send()
                .await?;
            Ok(out
                .responses
                .and_then(|mut r| r.remove(table))
                .map_or(0, |i| i.len()))
        }
        _ => Err("op must be get, query, batch, send or seq".into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let table = std::env::var("TABLE_NAME")?;
    let (client, sqs, table) = (&client, &sqs, table.as_str());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let items = read(client, sqs, table, &event.payload).await?;
        Ok::<Value, Error>(json!({ "items": items }))
    }))
    .await
}
