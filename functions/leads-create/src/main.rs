use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<leads_create::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| leads_create::handle(req, ctx)).await
}
