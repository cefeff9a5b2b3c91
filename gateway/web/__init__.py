"""HTTP: the application, its views and middlewares, authentication, dispatch, the dialect
routes and the OpenRPC and OpenAPI documents."""
