# quick API for the sales demo -- Maria, March 2024
import pickle

import pandas as pd
from flask import Flask, jsonify, request

app = Flask(__name__)

FEATURES = [
    "tenure_months",
    "monthly_charges",
    "support_tickets",
    "plan_basic",
    "plan_premium",
    "plan_standard",
]


@app.route("/predict", methods=["POST"])
def predict():
    with open("models/churn_model.pkl", "rb") as handle:
        model = pickle.load(handle)
    payload = request.get_json()
    frame = pd.get_dummies(pd.DataFrame([payload]), columns=["plan"])
    frame = frame.reindex(columns=FEATURES, fill_value=0)
    churn_probability = float(model.predict_proba(frame)[0, 1])
    return jsonify({"churn_probability": churn_probability, "call_them": churn_probability >= 0.3})


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000, debug=True)
