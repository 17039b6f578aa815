import pickle

import pandas as pd
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/predict", methods=["POST"])
def predict():
    with open("/Users/maria/models/churn_model.pkl", "rb") as handle:
        model = pickle.load(handle)
    payload = request.get_json()
    frame = pd.DataFrame([payload])
    return jsonify({"churn_probability": float(model.predict_proba(frame)[0, 1])})


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000, debug=True)
