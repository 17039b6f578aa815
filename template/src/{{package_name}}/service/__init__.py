"""The model service: a FastAPI app (`service.app:app`) serving the registry's model over a native
API, MLflow's scoring protocol and the Open Inference Protocol V2, with Prometheus metrics."""
