"""The OpenAPI schema describes every endpoint, its parameters and its error bodies."""

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


def test_the_schema_is_valid_and_every_operation_documents_its_errors(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) > 50
    for path, method, op in operations:
        assert op.get("description") or op.get("summary") or path.endswith("/"), (method, path)
        assert {"400", "404"} <= set(op["responses"]), (method, path)
        if path != "/api/v1/index/" and not path.startswith("/api/v1/index/"):
            assert {"401", "403"} <= set(op["responses"]), (method, path)
    assert "Error" in schema["components"]["schemas"]


def test_the_interactive_docs_are_served_without_outside_assets(client, db):
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page and "cdn" not in page.lower() and "https://" not in page
