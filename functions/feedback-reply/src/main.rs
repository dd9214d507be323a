use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<feedback_reply::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| feedback_reply::handle(req, ctx)).await
}
