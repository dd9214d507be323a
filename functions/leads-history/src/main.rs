use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<leads_history::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| leads_history::handle(req, ctx)).await
}
