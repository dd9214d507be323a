use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx =
        shared::app::cold_start::<admin_document_delete::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| admin_document_delete::handle(req, ctx)).await
}
