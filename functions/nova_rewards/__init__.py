"""Reward functions for Amazon Nova reinforcement fine-tuning, and the Bedrock grader Lambda handler.

Shipped to Lambda as is: keep imports here light (cold start).
"""

__version__ = "0.1.0"
