//! The repository agrees with itself: every function has its template resource, fixtures,
//! router entry and OpenAPI entry; the key schema in code is the template's; no IAM policy
//! grants every resource; every queue, stream and asynchronous invocation ends its retries
//! in an alarmed dead-letter queue.

use portal_tests::root;
use serde_yaml_ng::Value as Yaml;
use shared::store::{Index, keys};
use std::collections::{BTreeMap, BTreeSet};

/// template.yaml with CloudFormation's short tags (`!Ref X` → `{"Ref": X}`).
fn template() -> Yaml {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    untag(serde_yaml_ng::from_str(&text).unwrap())
}

fn untag(v: Yaml) -> Yaml {
    match v {
        Yaml::Tagged(t) => {
            let name = t.tag.to_string();
            let name = name.trim_start_matches('!');
            let key = if name == "Ref" {
                "Ref".to_string()
            } else {
                format!("Fn::{name}")
            };
            let mut m = serde_yaml_ng::Mapping::new();
            m.insert(Yaml::String(key), untag(t.value));
            Yaml::Mapping(m)
        }
        Yaml::Mapping(m) => Yaml::Mapping(m.into_iter().map(|(k, v)| (k, untag(v))).collect()),
        Yaml::Sequence(s) => Yaml::Sequence(s.into_iter().map(untag).collect()),
        other => other,
    }
}

fn resources(t: &Yaml) -> Vec<(String, Yaml)> {
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), v.clone()))
        .collect()
}

fn functions(t: &Yaml) -> Vec<(String, Yaml)> {
    resources(t)
        .into_iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .collect()
}

/// The package a function resource builds: `functions/<name>`.
fn package_of(resource: &Yaml) -> String {
    resource["Properties"]["CodeUri"]
        .as_str()
        .and_then(|u| u.strip_prefix("functions/"))
        .expect("CodeUri is functions/<name>")
        .trim_end_matches('/')
        .to_string()
}

fn packages() -> BTreeSet<String> {
    std::fs::read_dir(root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect()
}

/// (METHOD, path, package) for every HttpApi route; the `$default` route as ("ANY", "$default").
fn template_routes(t: &Yaml) -> BTreeSet<(String, String, String)> {
    let mut routes = BTreeSet::new();
    for (_, f) in functions(t) {
        if let Some(events) = f["Properties"]["Events"].as_mapping() {
            for event in events.values() {
                if event["Type"] == "HttpApi" {
                    let p = &event["Properties"];
                    assert_eq!(
                        p["ApiId"]["Ref"], "HttpApi",
                        "every route belongs to the one HttpApi"
                    );
                    let method = p["Method"].as_str().unwrap_or("ANY").to_uppercase();
                    let path = p["Path"].as_str().unwrap_or("$default").to_string();
                    routes.insert((method, path, package_of(&f)));
                }
            }
        }
    }
    routes
}

#[test]
fn every_function_package_has_exactly_one_template_resource_built_with_cargo_lambda() {
    let t = template();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for (name, f) in functions(&t) {
        assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda", "{name}");
        let package = package_of(&f);
        assert_eq!(
            f["Metadata"]["BuildProperties"]["Binary"].as_str(),
            Some(package.as_str()),
            "{name}"
        );
        *count.entry(package).or_default() += 1;
    }
    for package in packages() {
        assert_eq!(
            count.get(&package),
            Some(&1),
            "functions/{package} needs exactly one function in template.yaml"
        );
    }
    for package in count.keys() {
        assert!(
            packages().contains(package),
            "template.yaml builds functions/{package}, which does not exist"
        );
    }
}

/// The event an EventBridge schedule (SAM `Type: Schedule`) invokes its function with.
/// (The workspace builds aws_lambda_events without its eventbridge feature.)
#[derive(serde::Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ScheduledEvent {
    version: String,
    id: String,
    detail_type: String,
    source: String,
    account: String,
    #[allow(dead_code)]
    time: chrono::DateTime<chrono::Utc>,
    region: String,
    resources: Vec<String>,
    detail: serde_json::Map<String, serde_json::Value>,
}

fn check_scheduled_event(text: &str, shown: &str) {
    let e: ScheduledEvent =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{shown}: an EventBridge event: {e}"));
    assert_eq!(e.version, "0", "{shown}");
    assert_eq!(e.source, "aws.events", "{shown}");
    assert_eq!(e.detail_type, "Scheduled Event", "{shown}");
    assert!(
        !e.id.is_empty() && !e.account.is_empty() && !e.region.is_empty(),
        "{shown}"
    );
    assert!(
        e.resources.len() == 1
            && e.resources[0]
                .starts_with(&format!("arn:aws:events:{}:{}:rule/", e.region, e.account)),
        "{shown}: resources names the schedule's rule"
    );
    assert!(
        e.detail.is_empty(),
        "{shown}: a scheduled event's detail is {{}}"
    );
}

/// Whether an event matches a Lambda event-filter pattern (the subset the template uses:
/// nested objects whose leaves list the allowed values).
fn matches_filter(pattern: &serde_json::Value, event: &serde_json::Value) -> bool {
    match pattern {
        serde_json::Value::Object(p) => p.iter().all(|(k, want)| matches_filter(want, &event[k])),
        serde_json::Value::Array(allowed) => allowed.contains(event),
        _ => false,
    }
}

/// The filter patterns of a function's event sources.
fn filter_patterns(f: &Yaml) -> Vec<serde_json::Value> {
    f["Properties"]["Events"]
        .as_mapping()
        .into_iter()
        .flat_map(|e| e.values())
        .filter_map(|ev| ev["Properties"]["FilterCriteria"]["Filters"].as_sequence())
        .flatten()
        .map(|filter| {
            serde_json::from_str(filter["Pattern"].as_str().expect("a JSON pattern string"))
                .expect("the pattern is JSON")
        })
        .collect()
}

#[test]
fn every_function_has_fixtures_of_the_event_type_it_takes() {
    let t = template();
    for (name, f) in functions(&t) {
        let package = package_of(&f);
        let kinds: BTreeSet<String> = f["Properties"]["Events"]
            .as_mapping()
            .map(|e| {
                e.values()
                    .map(|v| v["Type"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let is_http = kinds.contains("HttpApi") || !f["Properties"]["FunctionUrlConfig"].is_null();
        let dir = root().join("events").join(&package);
        let fixtures: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("events/{package}/ is missing"))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        assert!(!fixtures.is_empty(), "events/{package}/ has no fixture");
        for path in fixtures {
            let text = std::fs::read_to_string(&path).unwrap();
            let shown = path.display();
            if is_http {
                let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(
                    raw["version"], "2.0",
                    "{shown}: API Gateway HTTP API / Function URL payload 2.0"
                );
                assert!(
                    raw["requestContext"]["http"]["method"].is_string(),
                    "{shown}"
                );
                lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{shown}: {e}"));
            } else if kinds.contains("SQS") {
                serde_json::from_str::<aws_lambda_events::sqs::SqsEvent>(&text)
                    .unwrap_or_else(|e| panic!("{shown}: {e}"));
            } else if kinds.contains("S3") {
                serde_json::from_str::<aws_lambda_events::s3::S3Event>(&text)
                    .unwrap_or_else(|e| panic!("{shown}: {e}"));
            } else if kinds.contains("DynamoDB") {
                serde_json::from_str::<aws_lambda_events::dynamodb::Event>(&text)
                    .unwrap_or_else(|e| panic!("{shown}: {e}"));
                // The sample must be a record the function's filter lets through.
                let patterns = filter_patterns(&f);
                let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
                for record in raw["Records"].as_array().unwrap() {
                    assert!(
                        patterns.is_empty() || patterns.iter().any(|p| matches_filter(p, record)),
                        "{shown}: a record the event filter of {name} would drop"
                    );
                }
            } else if kinds.contains("Schedule") {
                check_scheduled_event(&text, &shown.to_string());
            } else if kinds.is_empty() && package == "admin-bootstrap" {
                // Invoked directly by ops with this request as the event.
                serde_json::from_str::<shared::identity::service::BootstrapAdminRequest>(&text)
                    .unwrap_or_else(|e| panic!("{shown}: {e}"));
            } else if kinds.is_empty() && package == "insight-backfill" {
                // Invoked by hand after a deploy; the event carries nothing the run needs.
                let event: serde_json::Value =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{shown}: {e}"));
                assert!(
                    event.is_object(),
                    "{shown}: the backfill is invoked with {{}}"
                );
            } else {
                panic!("{name}: no fixture check for event types {kinds:?}; add one here");
            }
        }
    }
}

/// (METHOD, path, function) from `[workspace.metadata.lambda.watch.router]`.
fn router_routes() -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let manifest: toml::Value = toml::from_str(&text).unwrap();
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .unwrap()
        .clone();
    let mut routes = BTreeSet::new();
    for (path, target) in router {
        let path = if path == "/{*path}" {
            "$default".to_string()
        } else {
            path
        };
        match target {
            toml::Value::String(function) => {
                routes.insert(("ANY".to_string(), path, function));
            }
            toml::Value::Array(entries) => {
                for e in entries {
                    let method = e["method"].as_str().unwrap().to_uppercase();
                    routes.insert((
                        method,
                        path.clone(),
                        e["function"].as_str().unwrap().to_string(),
                    ));
                }
            }
            other => panic!("unexpected router entry {other:?}"),
        }
    }
    routes
}

fn openapi_routes() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(root().join("infra/openapi.yaml")).unwrap();
    let doc: Yaml = serde_yaml_ng::from_str(&text).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().unwrap() {
        for (method, _) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if ["get", "post", "put", "patch", "delete"].contains(&method) {
                routes.insert((method.to_uppercase(), path.as_str().unwrap().to_string()));
            }
        }
    }
    routes
}

/// Function URL functions and the path they are served at locally (`Metadata.LocalPath`):
/// the router must expose them there, and they stay out of the API (OpenAPI, matrix).
fn function_url_routes(t: &Yaml) -> BTreeSet<(String, String, String)> {
    functions(t)
        .into_iter()
        .filter(|(_, f)| !f["Properties"]["FunctionUrlConfig"].is_null())
        .map(|(name, f)| {
            let path = f["Metadata"]["LocalPath"].as_str().unwrap_or_else(|| {
                panic!("{name}: Function URL functions need Metadata.LocalPath")
            });
            ("POST".to_string(), path.to_string(), package_of(&f))
        })
        .collect()
}

/// The function API Gateway's `$default` route invokes; locally it also answers methods
/// that have no route on a known path.
const DEFAULT_ROUTE_FUNCTION: &str = "web";
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

#[test]
fn every_http_route_is_in_the_local_router_and_the_openapi_document_and_back() {
    let t = template();
    let template = template_routes(&t);
    let with_urls: BTreeSet<_> = template.union(&function_url_routes(&t)).cloned().collect();
    let (fallbacks, router): (BTreeSet<_>, BTreeSet<_>) = router_routes()
        .into_iter()
        .partition(|(_, p, f)| f == DEFAULT_ROUTE_FUNCTION && p != "$default");
    assert_eq!(
        with_urls, router,
        "template.yaml routes (left) and the cargo lambda watch router (right) differ"
    );

    // Every other method of a routed path falls back to the $default function, as it
    // would behind API Gateway, instead of cargo lambda's own non-problem 404.
    let paths: BTreeSet<&String> = template
        .iter()
        .filter(|(_, p, _)| p != "$default")
        .map(|(_, p, _)| p)
        .collect();
    for path in paths {
        for method in METHODS {
            let routed = with_urls.iter().any(|(m, p, _)| m == method && p == path);
            let falls_back = fallbacks.iter().any(|(m, p, _)| m == method && p == path);
            assert!(
                routed ^ falls_back,
                "{method} {path}: needs exactly one of a route or a not-found fallback"
            );
        }
    }
    assert!(
        template.contains(&(
            "ANY".into(),
            "$default".into(),
            DEFAULT_ROUTE_FUNCTION.into()
        )),
        "unknown routes need the $default function"
    );

    let api: BTreeSet<(String, String)> = template
        .iter()
        .filter(|(_, p, _)| p != "$default")
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    assert_eq!(
        api,
        openapi_routes(),
        "template.yaml routes (left) and infra/openapi.yaml (right) differ"
    );
}

#[test]
fn the_key_schema_in_code_is_the_tables() {
    let t = template();
    let table = &t["Resources"]["Table"]["Properties"];
    assert_eq!(table["KeySchema"][0]["AttributeName"], keys::PK);
    assert_eq!(table["KeySchema"][1]["AttributeName"], keys::SK);
    assert_eq!(
        table["TimeToLiveSpecification"]["AttributeName"],
        keys::EXPIRES_AT
    );
    let gsis = table["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(gsis.len(), Index::ALL.len());
    for index in Index::ALL {
        let gsi = gsis
            .iter()
            .find(|g| g["IndexName"] == index.name())
            .unwrap_or_else(|| panic!("{index} missing"));
        let (pk, sk) = index.attributes();
        assert_eq!(gsi["KeySchema"][0]["AttributeName"], pk);
        assert_eq!(gsi["KeySchema"][1]["AttributeName"], sk);
    }
}

fn walk<'a>(v: &'a Yaml, out: &mut Vec<&'a Yaml>) {
    match v {
        Yaml::Mapping(m) => {
            if m.contains_key("Effect") && m.contains_key("Action") {
                out.push(v);
            }
            m.values().for_each(|x| walk(x, out));
        }
        Yaml::Sequence(s) => s.iter().for_each(|x| walk(x, out)),
        _ => {}
    }
}

#[test]
fn no_iam_statement_allows_every_resource() {
    let t = template();
    let mut statements = Vec::new();
    walk(&t["Resources"], &mut statements);
    for s in statements.iter().filter(|s| s["Effect"] == "Allow") {
        let resources: Vec<&Yaml> = match &s["Resource"] {
            Yaml::Sequence(seq) => seq.iter().collect(),
            other => vec![other],
        };
        assert!(
            !resources.iter().any(|r| r.as_str() == Some("*")),
            "statement allows every resource: {s:?}"
        );
    }
}

/// Queues with a depth alarm (messages visible > 0).
fn alarmed_queues(t: &Yaml) -> BTreeSet<String> {
    resources(t)
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Alarm")
        .filter(|(_, r)| {
            r["Properties"]["Namespace"] == "AWS/SQS"
                && r["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        })
        .filter_map(|(_, r)| {
            r["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"]
                .as_str()
                .map(|s| s.split('.').next().unwrap().to_string())
        })
        .collect()
}

/// The queue a `!GetAtt Queue.Arn` destination names.
fn queue_of(destination: &Yaml) -> Option<String> {
    destination["Fn::GetAtt"]
        .as_str()
        .and_then(|s| s.strip_suffix(".Arn"))
        .map(str::to_string)
}

#[test]
fn every_queue_redrives_to_an_alarmed_dead_letter_queue() {
    let t = template();
    let all = resources(&t);
    let alarmed = alarmed_queues(&t);
    let mut checked = 0;
    for (name, q) in all.iter().filter(|(_, r)| r["Type"] == "AWS::SQS::Queue") {
        let redrive = &q["Properties"]["RedrivePolicy"];
        if redrive.is_null() {
            continue; // a dead-letter queue itself
        }
        checked += 1;
        assert!(
            redrive["maxReceiveCount"].as_u64().unwrap() >= 5,
            "{name}: maxReceiveCount >= 5"
        );
        let dlq = redrive["deadLetterTargetArn"]["Fn::GetAtt"]
            .as_str()
            .unwrap()
            .split('.')
            .next()
            .unwrap();
        assert!(
            alarmed.contains(dlq),
            "{name}: its dead-letter queue {dlq} has no alarm"
        );

        // Visibility must be at least 6x the timeout of whichever function consumes it.
        let visibility = q["Properties"]["VisibilityTimeout"].as_u64().unwrap_or(30);
        for (fname, f) in functions(&t) {
            let consumes = f["Properties"]["Events"].as_mapping().is_some_and(|e| {
                e.values().any(|ev| {
                    ev["Type"] == "SQS"
                        && ev["Properties"]["Queue"]["Fn::GetAtt"].as_str()
                            == Some(&format!("{name}.Arn"))
                })
            });
            if consumes {
                let timeout = f["Properties"]["Timeout"]
                    .as_u64()
                    .or_else(|| t["Globals"]["Function"]["Timeout"].as_u64())
                    .unwrap();
                assert!(
                    visibility >= 6 * timeout,
                    "{name}: visibility {visibility} < 6 x {fname}'s timeout {timeout}"
                );
            }
        }
    }
    assert!(checked >= 1, "the CRM webhook queue redrives");
}

/// Stream and asynchronous (scheduled) invocations have no queue to redrive from: their
/// retries are bounded and the failures go to an alarmed on-failure queue. Batch sources
/// report partial failures, so one bad record does not fail (and repeat) its whole batch.
#[test]
fn every_stream_bucket_and_scheduled_invocation_ends_in_an_alarmed_dead_letter_queue() {
    let t = template();
    let alarmed = alarmed_queues(&t);
    let (mut streams, mut schedules, mut buckets) = (0, 0, 0);
    for (name, f) in functions(&t) {
        let Some(events) = f["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (event_name, event) in events {
            let p = &event["Properties"];
            let kind = event["Type"].as_str().unwrap_or_default();
            if kind == "SQS" || kind == "DynamoDB" {
                assert!(
                    p["FunctionResponseTypes"]
                        .as_sequence()
                        .is_some_and(|s| s.iter().any(|x| x == "ReportBatchItemFailures")),
                    "{name}.{event_name:?}: FunctionResponseTypes [ReportBatchItemFailures]"
                );
            }
            if kind == "DynamoDB" {
                streams += 1;
                let retries = p["MaximumRetryAttempts"].as_i64();
                assert!(
                    retries.is_some_and(|r| (0..=10).contains(&r)),
                    "{name}.{event_name:?}: MaximumRetryAttempts bounded (0..=10), not the infinite default"
                );
                let dlq = queue_of(&p["DestinationConfig"]["OnFailure"]["Destination"])
                    .unwrap_or_else(|| {
                        panic!("{name}.{event_name:?}: DestinationConfig.OnFailure is a queue")
                    });
                assert!(
                    alarmed.contains(&dlq),
                    "{name}: its on-failure queue {dlq} has no alarm"
                );
            }
            // Asynchronous invocations (a bucket, a schedule): bounded retries, then an
            // alarmed on-failure queue.
            if kind == "S3" || kind == "Schedule" || kind == "ScheduleV2" {
                if kind == "S3" {
                    buckets += 1;
                } else {
                    schedules += 1;
                }
                let config = &f["Properties"]["EventInvokeConfig"];
                assert!(
                    config["MaximumRetryAttempts"].as_u64().is_some(),
                    "{name}: invoked asynchronously ({kind}), so EventInvokeConfig.MaximumRetryAttempts is set"
                );
                let dlq = queue_of(&config["DestinationConfig"]["OnFailure"]["Destination"])
                    .unwrap_or_else(|| {
                        panic!("{name}: EventInvokeConfig.DestinationConfig.OnFailure is a queue")
                    });
                assert!(
                    alarmed.contains(&dlq),
                    "{name}: its on-failure queue {dlq} has no alarm"
                );
            }
        }
    }
    assert!(
        streams >= 2,
        "email-sender and crm-outbound read the table stream"
    );
    assert!(schedules >= 1, "crm-reconcile runs on a schedule");
    assert!(buckets >= 1, "kyc-verify-upload runs on bucket events");
}

#[test]
fn every_function_has_an_error_alarm() {
    let t = template();
    let mut alarmed = BTreeSet::new();
    for (_, r) in resources(&t) {
        let p = &r["Properties"];
        if r["Type"] == "AWS::CloudWatch::Alarm"
            && p["Namespace"] == "AWS/Lambda"
            && p["MetricName"] == "Errors"
            && p["AlarmActions"]
                .as_sequence()
                .is_some_and(|a| !a.is_empty())
        {
            for d in p["Dimensions"].as_sequence().unwrap() {
                if d["Name"] == "FunctionName" {
                    alarmed.insert(d["Value"]["Ref"].as_str().unwrap().to_string());
                }
            }
        }
    }
    let functions: BTreeSet<String> = functions(&t).into_iter().map(|(n, _)| n).collect();
    let missing: Vec<&String> = functions.difference(&alarmed).collect();
    assert!(
        missing.is_empty(),
        "functions without an error alarm: {missing:?}"
    );
}

#[test]
fn every_route_is_in_the_permission_matrix_and_every_matrix_entry_is_a_route() {
    use shared::auth::permissions::ROUTES;
    let template: BTreeSet<String> = template_routes(&template())
        .into_iter()
        .filter(|(_, p, _)| p != "$default")
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    let matrix: BTreeSet<String> = ROUTES.iter().map(|(r, _)| r.to_string()).collect();
    assert_eq!(
        template, matrix,
        "template.yaml routes (left) and the permission matrix (right) differ"
    );
}

/// The domain crate's layers, lowest first (README "Layout"). A module may use the modules
/// of lower layers only; the edges (layer 0) may also use one another. A new top-level
/// module must be placed here before it compiles into a passing test run.
const LAYERS: &[&[&str]] = &[
    &[
        "aws",
        "config",
        "telemetry",
        "http",
        "store",
        "storage",
        "queue",
        "secrets",
        "crypto",
        "validate",
        "contact",
        "stream",
        "fault",
    ],
    &[
        "auth",
        "outbox",
        "audit",
        "notifications",
        "uploads",
        "limits",
        "money",
    ],
    &["partners"],
    &["identity", "commissions", "feedback"],
    &["kyc", "leads", "resources", "workspace"],
    &["crm", "admin", "insight"],
    &["reports"],
    &["app"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every `crate::<module>` a line of Rust names, outside comments (grouped imports too).
fn crate_references(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            out.extend(
                inner
                    .split(',')
                    .map(|p| p.trim().split("::").next().unwrap_or("").to_string())
                    .filter(|p| !p.is_empty()),
            );
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn domain_modules_use_only_the_layers_below_them() {
    let src = root().join("shared/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut broken = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if rel == "lib.rs" {
            continue;
        }
        let module = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        let Some(own) = layer_of(&module) else {
            broken.push(format!("{rel}: module `{module}` has no layer in LAYERS"));
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for (no, line) in text.lines().enumerate() {
            for used in crate_references(line) {
                if used == module || used == "VERSION" {
                    continue;
                }
                match layer_of(&used) {
                    None => broken.push(format!("{rel}:{}: `crate::{used}` has no layer", no + 1)),
                    Some(0) if own == 0 => {}
                    Some(l) if l < own => {}
                    Some(l) => broken.push(format!(
                        "{rel}:{}: `{module}` (layer {own}) uses `{used}` (layer {l})",
                        no + 1
                    )),
                }
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn the_layer_check_sees_grouped_and_nested_references() {
    assert_eq!(
        crate_references("use crate::{leads::Lead, auth}; // crate::kyc"),
        vec!["leads", "auth"]
    );
    assert_eq!(
        crate_references("let x = crate::outbox::CrmSync::pending();"),
        vec!["outbox"]
    );
}

/// The packages that issue access tokens: the only ones that may read the private keys.
const TOKEN_SIGNERS: &[&str] = &["auth-login", "auth-refresh", "auth-invitation-accept"];

#[test]
fn only_the_functions_that_issue_tokens_can_read_the_private_signing_key() {
    let t = template();
    let mut readers = BTreeSet::new();
    for (_, f) in functions(&t) {
        let policies = serde_yaml_ng::to_string(&f["Properties"]["Policies"]).unwrap();
        if policies.contains("TokenSigningKeySecret") {
            readers.insert(package_of(&f));
        }
    }
    let expected: BTreeSet<String> = TOKEN_SIGNERS.iter().map(|s| s.to_string()).collect();
    assert_eq!(readers, expected);
    // Everything else with a token verifies with the public keys.
    let me = functions(&t)
        .into_iter()
        .find(|(_, f)| package_of(f) == "me")
        .unwrap()
        .1;
    assert!(
        serde_yaml_ng::to_string(&me["Properties"]["Policies"])
            .unwrap()
            .contains("TokenVerifyingKeysSecret")
    );
}

#[test]
fn every_deployed_stage_sets_its_portal_url_to_https() {
    let text = std::fs::read_to_string(root().join("samconfig.toml")).unwrap();
    for stage in ["dev", "prod"] {
        let section = format!("[{stage}.deploy.parameters]");
        let start = text
            .find(&section)
            .unwrap_or_else(|| panic!("no {section}"));
        let rest = &text[start + section.len()..];
        let body = &rest[..rest.find("\n[").unwrap_or(rest.len())];
        let overrides = body
            .lines()
            .find(|l| l.trim_start().starts_with("parameter_overrides"))
            .unwrap_or_else(|| panic!("{stage} has no parameter_overrides"));
        assert!(
            overrides.contains("PortalUrl=https://"),
            "{stage}: emailed links must point at the stage's own portal: {overrides}"
        );
    }
}

#[test]
fn every_function_logs_to_a_group_with_retention() {
    let t = template();
    let kept: BTreeSet<String> = resources(&t)
        .into_iter()
        .filter(|(_, r)| {
            r["Type"] == "AWS::Logs::LogGroup" && !r["Properties"]["RetentionInDays"].is_null()
        })
        .map(|(name, _)| name)
        .collect();
    let mut missing = Vec::new();
    for (name, f) in functions(&t) {
        let group = f["Properties"]["LoggingConfig"]["LogGroup"]["Ref"].as_str();
        if !group.is_some_and(|g| kept.contains(g)) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "functions whose logs are kept forever: {missing:?}"
    );
}

#[test]
fn every_function_behind_a_token_may_read_its_caller_in_one_batch() {
    // The per-request access check reads the user and the partner with BatchGetItem.
    use shared::auth::permissions::{Access, access};
    let t = template();
    let mut missing = Vec::new();
    for (_, f) in functions(&t) {
        let Some(events) = f["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for event in events.values().filter(|e| e["Type"] == "HttpApi") {
            let route = format!(
                "{} {}",
                event["Properties"]["Method"].as_str().unwrap_or(""),
                event["Properties"]["Path"].as_str().unwrap_or("")
            );
            let checked = match access(&route) {
                Some(Access::Public) => route == "POST /v1/auth/logout",
                Some(_) => true,
                None => false,
            };
            let policies = serde_yaml_ng::to_string(&f["Properties"]["Policies"]).unwrap();
            if checked && !policies.contains("dynamodb:BatchGetItem") {
                missing.push(route);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes whose function cannot run the access check: {missing:?}"
    );
}

/// Every handler's `ROUTE` (the permission matrix is looked up by it), by package.
const HANDLER_ROUTES: &[(&str, &str)] = &[
    ("admin-activity", admin_activity::ROUTE),
    ("admin-analytics", admin_analytics::ROUTE),
    ("admin-crm-replay", admin_crm_replay::ROUTE),
    ("dashboard", dashboard::ROUTE),
    ("analytics-quarterly", analytics_quarterly::ROUTE),
    ("analytics-benchmarks", analytics_benchmarks::ROUTE),
    ("analytics-score-history", analytics_score_history::ROUTE),
    ("insights", insights::ROUTE),
    ("feedback-list", feedback_list::ROUTE),
    ("feedback-reply", feedback_reply::ROUTE),
    ("public-feedback", public_feedback::ROUTE),
    ("public-unsubscribe", public_unsubscribe::ROUTE),
    ("admin-feedback-survey", admin_feedback_survey::ROUTE),
    ("me-notifications-get", me_notifications_get::ROUTE),
    ("me-notifications-update", me_notifications_update::ROUTE),
    ("me-calendar-get", me_calendar_get::ROUTE),
    ("me-calendar-delete", me_calendar_delete::ROUTE),
    ("calendar-feed", calendar_feed::ROUTE),
    ("exports-create", exports_create::ROUTE),
    ("exports-get", exports_get::ROUTE),
    ("admin-document-delete", admin_document_delete::ROUTE),
    ("admin-kyc-download", admin_kyc_download::ROUTE),
    ("admin-kyc-review", admin_kyc_review::ROUTE),
    ("admin-lead-assign", admin_lead_assign::ROUTE),
    ("admin-leads-list", admin_leads_list::ROUTE),
    ("admin-partner-decision", admin_partner_decision::ROUTE),
    (
        "admin-partner-documents-create",
        admin_partner_documents_create::ROUTE,
    ),
    (
        "admin-partner-documents-list",
        admin_partner_documents_list::ROUTE,
    ),
    ("admin-partner-get", admin_partner_get::ROUTE),
    ("admin-partner-note", admin_partner_note::ROUTE),
    (
        "admin-partner-tasks-create",
        admin_partner_tasks_create::ROUTE,
    ),
    ("admin-partner-tasks-list", admin_partner_tasks_list::ROUTE),
    ("admin-partner-timeline", admin_partner_timeline::ROUTE),
    ("admin-staff-invite", admin_staff_invite::ROUTE),
    ("admin-staff-list", admin_staff_list::ROUTE),
    ("admin-staff-update", admin_staff_update::ROUTE),
    ("admin-task-delete", admin_task_delete::ROUTE),
    ("admin-task-update", admin_task_update::ROUTE),
    ("admin-tasks-list", admin_tasks_list::ROUTE),
    ("resources-list", resources_list::ROUTE),
    ("resources-get", resources_get::ROUTE),
    ("resources-download", resources_download::ROUTE),
    ("resources-categories", resources_categories::ROUTE),
    ("resources-complete", resources_complete::ROUTE),
    ("admin-resources-list", admin_resources_list::ROUTE),
    ("admin-resources-create", admin_resources_create::ROUTE),
    ("admin-resource-update", admin_resource_update::ROUTE),
    ("commissions-list", commissions_list::ROUTE),
    ("commissions-summary", commissions_summary::ROUTE),
    ("commissions-get", commissions_get::ROUTE),
    ("payouts-list", payouts_list::ROUTE),
    ("payouts-get", payouts_get::ROUTE),
    ("admin-commissions-list", admin_commissions_list::ROUTE),
    ("admin-commissions-create", admin_commissions_create::ROUTE),
    ("admin-commission-status", admin_commission_status::ROUTE),
    ("admin-payouts-create", admin_payouts_create::ROUTE),
    ("admin-payouts-list", admin_payouts_list::ROUTE),
    ("admin-payout-status", admin_payout_status::ROUTE),
    ("admin-partner-update", admin_partner_update::ROUTE),
    (
        "admin-partners-bulk-status",
        admin_partners_bulk_status::ROUTE,
    ),
    ("admin-partners-list", admin_partners_list::ROUTE),
    ("auth-email-resend", auth_email_resend::ROUTE),
    ("auth-email-verify", auth_email_verify::ROUTE),
    ("auth-invitation-accept", auth_invitation_accept::ROUTE),
    ("auth-login", auth_login::ROUTE),
    ("auth-logout", auth_logout::ROUTE),
    ("auth-password-forgot", auth_password_forgot::ROUTE),
    ("auth-password-reset", auth_password_reset::ROUTE),
    ("auth-refresh", auth_refresh::ROUTE),
    ("auth-register", auth_register::ROUTE),
    ("jwks", jwks::ROUTE),
    ("kyc-delete", kyc_delete::ROUTE),
    ("kyc-download", kyc_download::ROUTE),
    ("kyc-list", kyc_list::ROUTE),
    ("kyc-request-upload", kyc_request_upload::ROUTE),
    ("kyc-submit", kyc_submit::ROUTE),
    ("leads-activities-create", leads_activities_create::ROUTE),
    ("leads-activities-list", leads_activities_list::ROUTE),
    ("leads-attachment-upload", leads_attachment_upload::ROUTE),
    ("leads-create", leads_create::ROUTE),
    ("leads-get", leads_get::ROUTE),
    ("leads-history", leads_history::ROUTE),
    ("leads-list", leads_list::ROUTE),
    ("leads-stats", leads_stats::ROUTE),
    ("leads-update", leads_update::ROUTE),
    ("me", me::ROUTE),
    ("partner-field-options", partner_field_options::ROUTE),
    ("partner-get", partner_get::ROUTE),
    ("partner-logo", partner_logo::ROUTE),
    ("partner-update", partner_update::ROUTE),
    ("public-lead-submit", public_lead_submit::ROUTE),
    ("users-invite", users_invite::ROUTE),
    ("users-list", users_list::ROUTE),
    ("users-update", users_update::ROUTE),
];

#[test]
fn each_handlers_route_is_its_template_route() {
    let t = template();
    let mut wrong = Vec::new();
    for (package, route) in HANDLER_ROUTES {
        let f = functions(&t)
            .into_iter()
            .find(|(_, f)| package_of(f) == *package)
            .unwrap_or_else(|| panic!("{package} has no template resource"))
            .1;
        let routes: Vec<String> = f["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flat_map(|m| m.values())
            .filter(|e| e["Type"] == "HttpApi")
            .map(|e| {
                format!(
                    "{} {}",
                    e["Properties"]["Method"].as_str().unwrap_or(""),
                    e["Properties"]["Path"].as_str().unwrap_or("")
                )
            })
            .collect();
        if routes != [route.to_string()] {
            wrong.push(format!("{package}: ROUTE {route}, template {routes:?}"));
        }
    }
    // Every HTTP function but the catch-all and health (which takes no token) is listed.
    let listed: BTreeSet<&str> = HANDLER_ROUTES.iter().map(|(p, _)| *p).collect();
    for (_, f) in functions(&t) {
        let package = package_of(&f);
        let http = f["Properties"]["Events"]
            .as_mapping()
            .is_some_and(|m| m.values().any(|e| e["Type"] == "HttpApi"));
        if http && !["web", "health"].contains(&package.as_str()) {
            assert!(
                listed.contains(package.as_str()),
                "{package} is missing from HANDLER_ROUTES"
            );
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The CRM settings README prints as the defaults are the defaults (field names included),
/// so a Zoho admin can copy and edit them.
#[test]
fn the_crm_defaults_in_the_readme_are_the_code_defaults() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let after = readme
        .split_once("The defaults (`CrmSettings`")
        .expect("README shows the CRM defaults")
        .1;
    let block = after
        .split_once("```json\n")
        .unwrap()
        .1
        .split_once("\n```")
        .unwrap()
        .0;
    let documented: serde_json::Value = serde_json::from_str(block).unwrap();
    assert_eq!(
        documented,
        serde_json::to_value(shared::crm::CrmSettings::default()).unwrap(),
        "README's CRM defaults differ from shared/src/crm/settings.rs"
    );
}

/// One wiring pattern: every function's `main` builds its `Deps` with
/// `shared::app::cold_start` (a dependency that cannot be built fails the cold start), and
/// a handler on the shared context uses only what its `NEEDS` declares (the documents
/// bucket, the field key), so a forgotten need is caught here, not by a request.
#[test]
fn every_function_is_wired_one_way_with_what_it_uses() {
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(root().join("functions")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let main = std::fs::read_to_string(dir.join("src/main.rs")).unwrap();
        let handler = std::fs::read_to_string(dir.join("src/handler.rs")).unwrap();
        if !main.contains("shared::app::cold_start::<") {
            problems.push(format!("{name}: main does not use shared::app::cold_start"));
        }
        let (declared, code): (Vec<&str>, Vec<&str>) = handler
            .lines()
            .partition(|l| l.contains("function_deps!(") || l.contains("const NEEDS"));
        let declared = declared.join(" ");
        for (call, need) in [
            (".documents()", ".documents()"),
            (".cipher()", ".field_cipher()"),
            (".export_queue()", ".export_queue()"),
            (".signer()", ".cursors()"),
        ] {
            if code.iter().any(|l| l.contains(call)) && !declared.contains(need) {
                problems.push(format!(
                    "{name}: calls {call} without `{need}` in its NEEDS"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
