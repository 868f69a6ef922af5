using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MuraPipeline.Contracts;
using MuraPipeline.Imaging;

namespace MuraPipeline.Inference;

/// <summary>One view's model output.</summary>
public sealed record ViewPrediction(double Probability, string? BodyPart, float[]? Cam, int CamWidth, int CamHeight);
