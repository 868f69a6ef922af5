using System.Globalization;
using Microsoft.EntityFrameworkCore;
using MuraPipeline.Data;
using MuraPipeline.Contracts;

namespace MuraPipeline.Api.Pages;

public sealed record FailureGroup(string Reason, int Views);
