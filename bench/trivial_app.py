"""The yardstick of bench.side_by_side: the smallest Streamlit app with one slider and one small
line chart (Plotly, as the Playground's charts), served the same way."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

n = st.slider("Steps", 10, 500, 250, step=10)
x = np.linspace(0, 1, 200)
st.plotly_chart(go.Figure(go.Scatter(x=x, y=np.sin(x * n / 10))), theme=None)
