"""Logistic regression on iris: logs params and accuracy, saves the model to ./outputs."""
import argparse
import os
import pickle

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

try:  # MLflow when installed (as Azure ML recommends); Hangar's dependency-free helper otherwise.
    import mlflow as tracker
except ImportError:
    import hangar_log as tracker


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--max-iter", type=int, default=200)
    args = parser.parse_args()

    x, y = load_iris(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=42, stratify=y)
    tracker.log_param("C", args.C)
    tracker.log_param("max_iter", args.max_iter)

    model = LogisticRegression(C=args.C, max_iter=args.max_iter)
    model.fit(x_train, y_train)
    accuracy = model.score(x_test, y_test)
    print(f"accuracy: {accuracy:.4f}")
    tracker.log_metric("accuracy", accuracy)

    os.makedirs("outputs", exist_ok=True)
    with open(os.path.join("outputs", "model.pkl"), "wb") as f:
        pickle.dump(model, f)


if __name__ == "__main__":
    main()
