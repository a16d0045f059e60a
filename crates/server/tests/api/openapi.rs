//! The self-description: an OpenAPI 3.1 document that lists exactly the routes that exist.

use model::{Plan, Product};
use serde_json::Value;

use crate::support::{TestServer, header};

#[tokio::test]
async fn the_document_is_openapi_3_1_in_json_and_yaml() {
    let server = TestServer::start().await;
    let json = server.get("/openapi.json").send().await.unwrap();
    assert_eq!(json.status(), 200);
    assert_eq!(header(&json, "content-type"), "application/json");
    let doc: Value = json.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(doc["info"]["title"], "optiontape");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());

    let yaml = server.get("/openapi.yaml").send().await.unwrap();
    assert_eq!(header(&yaml, "content-type"), "application/yaml");
    let text = yaml.text().await.unwrap();
    assert!(
        text.starts_with("openapi: 3.1"),
        "{}",
        &text[..40.min(text.len())]
    );
    for path in doc["paths"].as_object().unwrap().keys() {
        assert!(text.contains(&format!("{path}:")), "YAML lacks {path}");
    }

    let llms = server.get("/llms.txt").send().await.unwrap();
    assert_eq!(header(&llms, "content-type"), "text/plain; charset=utf-8");
    let llms = llms.text().await.unwrap();
    assert!(llms.starts_with("# optiontape"));
    assert!(llms.contains(&format!("{}/openapi.json", server.url)));
    assert!(llms.contains(&format!("POST {}/auth/register", server.url)));
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let server = TestServer::start().await;
    let doc: Value = server
        .get("/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = server.register("doc@example.com").await;
    let column = server
        .key("doc@example.com", Product::Column, Plan::Expert)
        .await;
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let request = server
                .http
                .request(method.to_uppercase().parse().unwrap(), server.at(path))
                .header(
                    "authorization",
                    if path.starts_with("/v1/options") {
                        format!("Bearer {column}")
                    } else {
                        token.clone()
                    },
                );
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert!(
                !(status == 404 && body.contains("no route")) && status != 405,
                "{method} {path} is documented but not routed ({status} {body})"
            );
        }
    }
    assert!(operations >= 14, "only {operations} operations documented");
    // And a route that does not exist is not documented.
    assert!(doc["paths"].get("/v1/options/quote/nothing").is_none());
}
